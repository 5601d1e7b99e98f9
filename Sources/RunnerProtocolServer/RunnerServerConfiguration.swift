import Glibc

/// Settings of a `RunnerServer`; every default is written beside its field.
public struct RunnerServerConfiguration: Sendable {
    /// The socket file; its directory is created with mode 0750 when missing.
    public var socketPath: String
    /// Peers allowed besides root and the runner's own uid (SO_PEERCRED). Default: none.
    public var allowedUIDs: Set<UInt32> = []
    /// A peer is also allowed when its primary gid is listed here. Default: none.
    public var allowedGIDs: Set<UInt32> = []
    /// Folders below which peers other than root and the runner's uid may name a `repo_path` (one they
    /// can open themselves; see `RepositoryAccess`). Default: none, so such peers pass a directory fd.
    public var repoRoots: [String] = []
    /// Group owner given to the socket file (and to its directory when the server creates it), so that
    /// members of that group can reach the 0660 socket through the 0750 directory. Default: unchanged.
    public var socketGroupID: UInt32?
    /// Jobs run at once. Default: the active processor count.
    public var maxConcurrentJobs: Int = activeProcessorCount()
    /// Requests waiting for a slot; one more is answered `busy`. Default: 16.
    public var maxQueuedJobs: Int = 16
    /// Open connections at once (including waiting and idle ones); one more is answered `busy`. Default: 256.
    public var maxConnections: Int = 256
    /// The largest client frame payload; a larger one is answered `too_large`. Default: 8 MiB.
    public var maxFrameBytes: Int = 8 << 20
    /// Time a client has to send a whole frame (the first one counted from connect); also bounds each
    /// blocked write to a client that stops reading. Default: 30 s.
    public var readTimeout: Duration = .seconds(30)
    /// On shutdown, how long running jobs may still finish before they are cancelled. Default: 10 s.
    public var shutdownGrace: Duration = .seconds(10)

    public init(socketPath: String) {
        self.socketPath = socketPath
    }
}

/// The number of processors this process may run on.
func activeProcessorCount() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
