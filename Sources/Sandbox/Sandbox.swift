// The sandbox: profiles, spawn, wait, limits, resource usage, cleanup.
