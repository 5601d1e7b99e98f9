// The default profile compiled in, so a runner without its profile files still has a safe default.
// Must match sandbox-profiles/python-selfcheck.json (a test checks); regenerate by pasting the file.
enum EmbeddedProfiles {
    static let pythonSelfcheck = #"""
{
  "name": "python-selfcheck",
  "description": "Default: black, ruff and pytest (with multiprocessing, /dev/shm, AF_UNIX socketpairs) on a copy-on-write workspace. Loopback-only network.",
  "hostname": "sandbox",
  "unprivileged_uid": 2000000000,
  "unprivileged_gid": 2000000000,
  "mounts": [
    {"type": "bind", "source": "/usr"},
    {"type": "bind", "source": "/bin"},
    {"type": "bind", "source": "/sbin"},
    {"type": "bind", "source": "/lib"},
    {"type": "bind", "source": "/lib64", "optional": true},
    {"type": "bind", "source": "/lib32", "optional": true},
    {"type": "bind", "source": "/opt/selfcheck-tools", "optional": true},
    {"type": "bind", "source": "/etc/passwd", "optional": true},
    {"type": "bind", "source": "/etc/group", "optional": true},
    {"type": "bind", "source": "/etc/hosts", "optional": true},
    {"type": "bind", "source": "/etc/nsswitch.conf", "optional": true},
    {"type": "bind", "source": "/etc/ld.so.cache", "optional": true},
    {"type": "bind", "source": "/etc/ld.so.conf", "optional": true},
    {"type": "bind", "source": "/etc/ld.so.conf.d", "optional": true},
    {"type": "bind", "source": "/etc/localtime", "optional": true},
    {"type": "bind", "source": "/etc/alternatives", "optional": true},
    {"type": "bind", "source": "/etc/ssl", "optional": true},
    {"type": "bind", "source": "/etc/python3", "optional": true},
    {"type": "bind", "source": "/etc/python3.11", "optional": true},
    {"type": "bind", "source": "/etc/python3.12", "optional": true},
    {"type": "bind", "source": "/etc/python3.13", "optional": true},
    {"type": "dev", "target": "/dev", "size_bytes": 268435456},
    {"type": "proc", "target": "/proc"},
    {"type": "tmpfs", "target": "/tmp", "size_bytes": 536870912}
  ],
  "workspace_target": "/work",
  "limits": {
    "wall_time_ms": 600000,
    "cpu_time_ms": 1200000,
    "memory_bytes": 4294967296,
    "max_pids": 512,
    "output_bytes": 67108864,
    "file_size_bytes": 1073741824
  },
  "rlimits": {
    "address_space_bytes": 17179869184,
    "open_files": 4096,
    "core_bytes": 0,
    "stack_bytes": 8388608
  },
  "output_tail_bytes": 1048576,
  "network": "loopback",
  "environment": {
    "PATH": "/opt/selfcheck-tools/bin:/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "NO_COLOR": "1"
  },
  "environment_passthrough": ["TZ"],
  "seccomp": {
    "default_action": "allow",
    "audit": false,
    "rules": [
      {"action": "errno", "errno": "EPERM", "syscalls": [
        "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
        "mount", "umount2", "pivot_root", "chroot", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
        "open_tree", "mount_setattr",
        "unshare", "setns",
        "keyctl", "add_key", "request_key",
        "bpf", "perf_event_open",
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        "userfaultfd",
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "reboot", "swapon", "swapoff", "acct",
        "open_by_handle_at", "name_to_handle_at",
        "quotactl", "quotactl_fd", "lookup_dcookie", "syslog", "vhangup", "iopl", "ioperm"
      ]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["clone"], "args": [{"index": 0, "op": "masked_eq", "mask": "CLONE_NEWUSER", "value": "CLONE_NEWUSER"}]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["clone"], "args": [{"index": 0, "op": "masked_eq", "mask": "CLONE_NEWNS", "value": "CLONE_NEWNS"}]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["clone"], "args": [{"index": 0, "op": "masked_eq", "mask": "CLONE_NEWPID", "value": "CLONE_NEWPID"}]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["clone"], "args": [{"index": 0, "op": "masked_eq", "mask": "CLONE_NEWNET", "value": "CLONE_NEWNET"}]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["clone"], "args": [{"index": 0, "op": "masked_eq", "mask": "CLONE_NEWIPC", "value": "CLONE_NEWIPC"}]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["clone"], "args": [{"index": 0, "op": "masked_eq", "mask": "CLONE_NEWUTS", "value": "CLONE_NEWUTS"}]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["clone"], "args": [{"index": 0, "op": "masked_eq", "mask": "CLONE_NEWCGROUP", "value": "CLONE_NEWCGROUP"}]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["clone"], "args": [{"index": 0, "op": "masked_eq", "mask": "CLONE_NEWTIME", "value": "CLONE_NEWTIME"}]},
      {"action": "errno", "errno": "ENOSYS", "syscalls": ["clone3"]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["personality"], "args": [{"index": 0, "op": "not_in", "values": [0, 8, 131072, 131080, 4294967295]}]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["socket", "socketpair"], "args": [{"index": 0, "op": "not_in", "values": ["AF_UNIX", "AF_INET", "AF_INET6"]}]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["ioctl"], "args": [{"index": 1, "op": "masked_eq", "mask": 4294967295, "value": "TIOCSTI"}]},
      {"action": "errno", "errno": "EPERM", "syscalls": ["ioctl"], "args": [{"index": 1, "op": "masked_eq", "mask": 4294967295, "value": "TIOCLINUX"}]}
    ]
  }
}
"""#
}
