import Contracts
import Foundation
import RunnerProtocol
import TestSupport
import Testing

/// The kernel judges a named `repo_path` as the peer: the runner (root) opens it in a helper that has the
/// peer's uid, gid and supplementary groups, so an ACL that denies the peer and a group that grants it
/// count as they would for the peer's own `open`.
extension PeerRepositoryTests {
    static let team: UInt32 = 4242

    @Test func anACLThatDeniesThePeerIsRefusedWithAClearError() throws {
        let setup = try Setup()
        defer { setup.remove() }
        // Mode bits let everyone read it; only the ACL says no to the peer.
        try denyByACL(setup.shared.root.path, uids: [Self.nobody])
        let answer = try Self.check(setup.server.socket, Self.request("acl", repoPath: setup.shared.root.path))
        #expect(answer.error?.code == "forbidden", "\(answer.frames)")
        #expect(
            answer.error?.message == "uid \(Self.nobody) cannot open repo_path itself: Permission denied",
            "\(answer.frames)")
        #expect(answer.report == nil)
        #expect(!answer.raw.contains(Self.secret))
    }

    @Test func aSupplementaryGroupThatGrantsAccessIsAccepted() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let gate = setup.shared.root.deletingLastPathComponent().appendingPathComponent("team")
        try FileManager.default.createDirectory(at: gate, withIntermediateDirectories: false)
        chown(gate.path, 0, Self.team)
        chmod(gate.path, 0o750)
        let repo = try Self.repository(at: gate.appendingPathComponent("repo"), line: "x = 1")
        try run(["chmod", "-R", "a+rX", repo.root.path])

        let member = try Self.check(
            setup.server.socket, Self.request("member", repoPath: repo.root.path), groups: [Self.team])
        let report = try #require(member.report, "\(member.frames)")
        #expect(report.steps.first?.status == .passed, "\(report.reason)")

        let stranger = try Self.check(setup.server.socket, Self.request("stranger", repoPath: repo.root.path))
        #expect(stranger.error?.code == "forbidden", "\(stranger.frames)")
    }

    /// A folder below the root flips between a readable checkout and a link to the root-only one while
    /// requests name it: whichever moment the runner resolves and opens it, the link is never followed.
    @Test func aFolderSwappedForALinkBetweenCheckAndUseIsNeverFollowed() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let roots = setup.shared.root.deletingLastPathComponent()
        let swap = roots.appendingPathComponent("swap").path
        let parkedFolder = roots.appendingPathComponent("swap-folder").path
        let parkedLink = roots.appendingPathComponent("swap-link").path
        try FileManager.default.copyItem(atPath: setup.shared.root.path, toPath: parkedFolder)
        try "decoy\n".write(toFile: parkedFolder + "/secret.txt", atomically: true, encoding: .utf8)
        try run(["chmod", "-R", "a+rX", parkedFolder])
        try FileManager.default.createSymbolicLink(atPath: parkedLink, withDestinationPath: setup.hidden.root.path)

        let stop = Atomic(false)
        let swapper = Thread {
            while !stop.value {
                rename(parkedFolder, swap)
                rename(swap, parkedFolder)
                rename(parkedLink, swap)
                rename(swap, parkedLink)
            }
        }
        swapper.start()
        defer { stop.value = true }
        for index in 0..<6 {
            let answer = try Self.check(setup.server.socket, Self.request("swap-\(index)", repoPath: swap))
            #expect(!answer.raw.contains(Self.secret), "the root-only checkout was read through the link")
            #expect(answer.report != nil || answer.error?.code == "forbidden", "\(answer.frames)")
        }
    }
}

/// A flag shared with the swapping thread.
private final class Atomic: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Bool
    init(_ value: Bool) { stored = value }
    var value: Bool {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
