import Testing

/// All GitWorkspace tests, in one serialized suite: each starts its own `git daemon` and spawns many
/// git processes; serialized they stay well inside the time limit on a two-core machine.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct GitWorkspaceTests {}
