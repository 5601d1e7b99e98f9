import Glibc

/// Who is at the other end of a connection, as the kernel recorded it at `connect` (SO_PEERCRED, and
/// SO_PEERGROUPS for the supplementary groups: no /proc lookup by a pid that may have been reused).
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    public var groups: [UInt32]

    public init(pid: Int32, uid: UInt32, gid: UInt32, groups: [UInt32] = []) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }
}

/// Which peers may talk to the runner.
///
/// Root and the runner's own uid are always allowed: either can already control the runner process
/// (signals, ptrace), so refusing them would protect nothing. Others are allowed when their uid is in
/// `allowedUIDs` or one of their groups, primary or supplementary, is in `allowedGIDs`.
public struct AccessPolicy: Sendable {
    public var allowedUIDs: Set<UInt32>
    public var allowedGIDs: Set<UInt32>
    public var runnerUID: UInt32

    public init(allowedUIDs: Set<UInt32>, allowedGIDs: Set<UInt32>, runnerUID: UInt32 = getuid()) {
        self.allowedUIDs = allowedUIDs
        self.allowedGIDs = allowedGIDs
        self.runnerUID = runnerUID
    }

    public func allows(_ peer: PeerCredentials) -> Bool {
        peer.uid == 0 || peer.uid == runnerUID || allowedUIDs.contains(peer.uid)
            || allowedGIDs.contains(peer.gid) || peer.groups.contains(where: allowedGIDs.contains)
    }
}
