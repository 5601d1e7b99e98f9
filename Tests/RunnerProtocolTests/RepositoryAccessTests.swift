import Foundation
import Glibc
import TestSupport
import Testing

@testable import RunnerProtocol
@testable import RunnerProtocolServer

extension RunnerProtocolSuite {
    /// `RepositoryAccess.open`: the kernel's judgement (a helper with the peer's ids) as root, and the
    /// mode-bit judgement of a non-root runner, against ACLs, supplementary groups and symbolic links.
    @Suite(.enabled(if: geteuid() == 0, "needs root to take another uid"))
    struct RepositoryAccessTests {
        static let peer = PeerCredentials(pid: 1, uid: 65534, gid: 65534)
        static let team: UInt32 = 4242

        static func folder(_ name: String, in parent: URL, mode: mode_t, gid: UInt32 = 0) throws -> URL {
            let url = parent.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            chown(url.path, 0, gid)
            chmod(url.path, mode)
            return url
        }

        /// Both judgements, the kernel's first.
        static func opened(_ path: String, as peer: PeerCredentials) -> [Result<Int32, RepositoryAccess.Refusal>] {
            [RepositoryAccess.open(path, as: peer), RepositoryAccess.openByModeBits(path, as: peer)]
        }

        static func inode(_ fd: Int32) -> ino_t {
            var info = stat()
            fstat(fd, &info)
            return info.st_ino
        }

        static func inode(_ path: String) -> ino_t {
            var info = stat()
            lstat(path, &info)
            return info.st_ino
        }

        let scratch: URL

        init() throws {
            scratch = try makeTemporaryDirectory("repository-access")
            chmod(scratch.path, 0o755)
        }

        @Test func anACLThatDeniesThePeerIsRefusedByBothJudgements() throws {
            defer { try? FileManager.default.removeItem(at: scratch) }
            let repo = try Self.folder("repo", in: scratch, mode: 0o755)
            try denyByACL(repo.path, uids: [Self.peer.uid])
            let results = Self.opened(repo.path, as: Self.peer)
            guard case .failure(let kernel) = results[0] else {
                Issue.record("kernel: opened")
                return
            }
            #expect(kernel.reason == String(cString: strerror(EACCES)))
            guard case .failure(let bits) = results[1] else {
                Issue.record("mode bits: opened")
                return
            }
            #expect(bits.reason.contains("ACL"))
            // Another uid, which the ACL does not name, still gets it from the kernel.
            let other = PeerCredentials(pid: 1, uid: 65533, gid: 65533)
            guard case .success(let fd) = RepositoryAccess.open(repo.path, as: other) else {
                Issue.record("uid 65533 refused")
                return
            }
            #expect(Self.inode(fd) == Self.inode(repo.path))
            close(fd)
        }

        @Test func aSupplementaryGroupThatGrantsAccessIsHonoured() throws {
            defer { try? FileManager.default.removeItem(at: scratch) }
            let gate = try Self.folder("gate", in: scratch, mode: 0o750, gid: Self.team)
            let repo = try Self.folder("repo", in: gate, mode: 0o755)
            var member = Self.peer
            member.groups = [Self.team]
            for result in Self.opened(repo.path, as: member) {
                guard case .success(let fd) = result else {
                    Issue.record("member refused: \(result)")
                    continue
                }
                #expect(Self.inode(fd) == Self.inode(repo.path))
                close(fd)
            }
            for result in Self.opened(repo.path, as: Self.peer) {
                guard case .failure(let refusal) = result else {
                    Issue.record("non-member opened the gated folder")
                    continue
                }
                #expect(refusal.reason == String(cString: strerror(EACCES)))
            }
        }

        /// The path is resolved before it is opened; a directory swapped for a link in between (here: a
        /// link from the start) is refused, never followed to the root-only target.
        @Test func aSymbolicLinkOnTheWayIsNeverFollowed() throws {
            defer { try? FileManager.default.removeItem(at: scratch) }
            let readable = try Self.folder("readable", in: scratch, mode: 0o755)
            _ = try Self.folder("inner", in: readable, mode: 0o755)
            let link = scratch.appendingPathComponent("link")
            try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: readable.path)
            for path in [link.path, link.path + "/inner"] {
                for result in Self.opened(path, as: Self.peer) {
                    guard case .failure(let refusal) = result else {
                        Issue.record("\(path) opened through a link")
                        continue
                    }
                    #expect(refusal.reason.contains("symbolic link"), "\(refusal.reason)")
                }
            }
            guard case .success(let fd) = RepositoryAccess.open(readable.path + "/inner", as: Self.peer) else {
                Issue.record("the real path was refused")
                return
            }
            close(fd)
        }

        /// The groups come from the kernel's record of the connecting process (SO_PEERGROUPS).
        @Test func thePeersSupplementaryGroupsAreReadFromTheSocket() throws {
            defer { try? FileManager.default.removeItem(at: scratch) }
            var fds: [Int32] = [0, 0]
            #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
            defer { fds.forEach { close($0) } }
            let count = getgroups(0, nil)
            var own = [gid_t](repeating: 0, count: Int(count))
            _ = getgroups(count, &own)
            #expect(try UnixSocket.peerCredentials(fds[0]).groups.sorted() == own.sorted())
        }
    }
}
