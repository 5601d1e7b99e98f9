import Contracts
import Foundation
import RunnerProtocol
import SwiftProtobuf
import TestSupport
import Testing

/// What an allowed non-root peer of `selfcheck-runner serve` (run as root) may have checked: a directory
/// it passes as an fd, or a `repo_path` below a `--repo-root` that it can open itself; never a folder
/// only the runner can read. The client is python3 run as uid/gid 65534 with setpriv.
@Suite(
    .serialized, .timeLimit(.minutes(5)),
    .enabled(if: getuid() == 0, "needs root to switch to uid 65534"),
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs setpriv"))
struct PeerRepositoryTests {
    static let nobody: UInt32 = 65534
    static let secret = "peer-secret-\(UUID().uuidString.prefix(8))"

    /// Connects, sends one frame (and the directory argv[3] as an fd when given), prints the answer as hex.
    static let script = """
        import os, socket, sys
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(120)
        s.connect(sys.argv[1])
        frame = bytes.fromhex(sys.argv[2])
        if len(sys.argv) > 3:
            fd = os.open(sys.argv[3], os.O_RDONLY | os.O_DIRECTORY)
            socket.send_fds(s, [frame], [fd])
        else:
            s.sendall(frame)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        print(data.hex())
        """

    struct Answer {
        var frames: [ServerFrame]
        var raw: String
        var report: CheckReport? { frames.last { $0.report.requestID != "" }?.report }
        var error: ProtocolError? { frames.first { !$0.error.code.isEmpty }?.error }
    }

    static func check(
        _ socket: String, _ request: CheckRequest, passing directory: URL? = nil, groups: [UInt32] = []
    ) throws -> Answer {
        let frame = FrameEncoder.encode(try ClientFrame.with { $0.check = request }.serializedBytes() as [UInt8])
        let hex = frame.map { String(format: "%02x", $0) }.joined()
        let identity: [String] =
            ["setpriv", "--reuid", "\(nobody)", "--regid", "\(nobody)"]
            + (groups.isEmpty ? ["--clear-groups"] : ["--groups", groups.map(String.init).joined(separator: ",")])
        let client: [String] = ["/usr/bin/python3", "-c", script, socket, hex] + (directory.map { [$0.path] } ?? [])
        let output = try run(
            identity + client,
            in: URL(fileURLWithPath: "/"))
        let text = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(try #require(UInt8(text[index..<next], radix: 16)))
            index = next
        }
        var decoder = FrameDecoder(maxFrameBytes: 16 << 20)
        decoder.append(bytes)
        var frames: [ServerFrame] = []
        while let payload = try decoder.nextFrame() { frames.append(try ServerFrame(serializedBytes: payload)) }
        return Answer(frames: frames, raw: String(decoding: bytes, as: UTF8.self))
    }

    /// A one-file repository: `mod.py` holding `line`, plus `secret.txt`.
    static func repository(at root: URL, line: String) throws -> FixtureRepo {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try "\(line)\n".write(to: root.appendingPathComponent("mod.py"), atomically: true, encoding: .utf8)
        try "\(secret)\n".write(to: root.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        try FixtureRepo.initializeRepository(at: root)
        return FixtureRepo(root: root, baseCommit: try FixtureRepo.head(of: root))
    }

    /// Changes `x = 1` to `x = 2` and adds a test that fails showing secret.txt.
    static let leakingDiff = """
        diff --git a/mod.py b/mod.py
        --- a/mod.py
        +++ b/mod.py
        @@ -1 +1 @@
        -x = 1
        +x = 2
        diff --git a/test_leak.py b/test_leak.py
        new file mode 100644
        --- /dev/null
        +++ b/test_leak.py
        @@ -0,0 +1,2 @@
        +def test_leak():
        +    assert open("secret.txt").read() == ""

        """

    static func request(_ id: String, repoPath: String) -> CheckRequest {
        .with {
            $0.requestID = id
            $0.repoPath = repoPath
            $0.diff = leakingDiff
            $0.steps = ["pytest"]
        }
    }

    struct Setup {
        let scratch: URL
        let server: RunnerProcess
        /// Root-only (0700 parent): the peer cannot open it.
        let hidden: FixtureRepo
        /// World-readable, below the --repo-root.
        let shared: FixtureRepo
        /// World-readable, outside every --repo-root.
        let outside: FixtureRepo

        init() throws {
            scratch = try makeTemporaryDirectory("peer-repos")
            chmod(scratch.path, 0o755)
            let roots = scratch.appendingPathComponent("roots")
            try FileManager.default.createDirectory(
                at: roots.appendingPathComponent("private"), withIntermediateDirectories: true)
            chmod(roots.path, 0o755)
            chmod(roots.appendingPathComponent("private").path, 0o700)
            hidden = try PeerRepositoryTests.repository(at: roots.appendingPathComponent("private/repo"), line: "x = 1")
            shared = try PeerRepositoryTests.repository(at: roots.appendingPathComponent("shared"), line: "x = 1")
            outside = try PeerRepositoryTests.repository(at: scratch.appendingPathComponent("outside"), line: "x = 1")
            for repo in [shared, outside] { try run(["chmod", "-R", "a+rX", repo.root.path]) }
            server = try RunnerProcess(arguments: [
                "--allow-uid", "\(nobody)", "--socket-group", "\(nobody)", "--repo-root", roots.path,
            ])
            chmod(server.directory.path, 0o755)
        }

        func remove() {
            server.stop()
            try? FileManager.default.removeItem(at: scratch)
        }
    }

    @Test func aRootOnlyFolderBelowTheRootIsRefusedAndItsSecretNeverSent() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let answer = try Self.check(setup.server.socket, Self.request("hidden", repoPath: setup.hidden.root.path))
        #expect(answer.error?.code == "forbidden", "\(answer.frames)")
        #expect(answer.report == nil)
        #expect(!answer.raw.contains(Self.secret))
    }

    @Test func aFolderOutsideEveryRootIsRefused() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let answer = try Self.check(setup.server.socket, Self.request("outside", repoPath: setup.outside.root.path))
        #expect(answer.error?.code == "forbidden", "\(answer.frames)")
        #expect(answer.error?.message.contains("--repo-root") == true)
    }

    @Test func aSymbolicLinkBelowTheRootToTheHiddenFolderIsRefused() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let link = setup.shared.root.deletingLastPathComponent().appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: setup.hidden.root)
        let answer = try Self.check(setup.server.socket, Self.request("link", repoPath: link.path))
        #expect(answer.error?.code == "forbidden", "\(answer.frames)")
        #expect(!answer.raw.contains(Self.secret))
    }

    @Test func aReadableFolderBelowTheRootIsChecked() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let answer = try Self.check(setup.server.socket, Self.request("shared", repoPath: setup.shared.root.path))
        let report = try #require(answer.report, "\(answer.frames)")
        // The test reads secret.txt of a folder the peer may read anyway: it fails, and that is fine.
        #expect(report.steps.map(\.name) == ["apply", "pytest"], "\(report.reason)")
        #expect(report.steps.first?.status == .passed, "\(report.reason)")
    }

    /// The passed fd decides, whatever repo_path says: the check works on what the peer opened.
    @Test func aPassedDirectoryIsCheckedInsteadOfTheNamedPath() throws {
        let setup = try Setup()
        defer { setup.remove() }
        // The outside repository holds `x = 1`; make the hidden one differ, so the diff applies only to the former.
        try "y = 1\n".write(to: setup.hidden.root.appendingPathComponent("mod.py"), atomically: true, encoding: .utf8)
        let answer = try Self.check(
            setup.server.socket, Self.request("fd", repoPath: setup.hidden.root.path), passing: setup.outside.root)
        let report = try #require(answer.report, "\(answer.frames)")
        #expect(report.patch.files.sorted() == ["mod.py", "test_leak.py"], "\(report.reason)")
        #expect(report.steps.first?.status == .passed, "\(report.reason)")
    }
}
