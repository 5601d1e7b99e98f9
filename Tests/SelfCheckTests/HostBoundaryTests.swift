import Contracts
import Foundation
import RunnerProtocolClient
import SwiftProtobuf
import TestSupport
import Testing

@testable import SelfCheck

/// The runner acting on the host for a hostile repository: no git runs in the checkout (its
/// `.git/config` can name commands), and the checkout — `.git` included — is left byte for byte as it was.
@Suite(.serialized, .timeLimit(.minutes(5))) struct HostBoundaryTests {
    static let runner = Paths.product("selfcheck-runner").path

    /// Every path below `root` (`.git` included) with its type, mode, mtime and contents.
    static func snapshot(_ root: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        while let relative = enumerator?.nextObject() as? String {
            let path = root.path + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            var text =
                "mode \(String(info.st_mode, radix: 8)) mtime \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) size \(info.st_size)"
            if (info.st_mode & S_IFMT) == S_IFREG {
                text += " " + (try Data(contentsOf: URL(fileURLWithPath: path))).base64EncodedString()
            }
            result[relative] = text
        }
        return result
    }

    /// A toolz checkout whose `.git/config` runs `touch <marker>` from a clean filter on every `.py` file
    /// and from fsmonitor, and one file touched so that `git status` would refresh (filter and index write).
    static func hostileRepository(marker: URL) throws -> FixtureRepo {
        let repo = try FixtureRepo.make("toolz")
        let command = "sh -c 'touch \(marker.path); cat'"
        try FixtureRepo.git(["config", "filter.owned.clean", command], in: repo.root)
        try FixtureRepo.git(["config", "filter.owned.smudge", "cat"], in: repo.root)
        try FixtureRepo.git(["config", "core.fsmonitor", "sh -c 'touch \(marker.path)'"], in: repo.root)
        try "*.py filter=owned\n".write(
            to: repo.root.appendingPathComponent(".git/info/attributes"), atomically: true, encoding: .utf8)
        // Same contents, new mtime: git would have to read the file again (through the filter).
        let touched = repo.root.appendingPathComponent("toolz/itertoolz.py").path
        #expect(
            utimensat(
                AT_FDCWD, touched,
                [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)], 0) == 0)
        return repo
    }

    @Test func checkRunsNothingTheCheckoutsGitConfigNamesAndChangesNothing() throws {
        let scratch = try makeTemporaryDirectory("hostile")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let marker = scratch.appendingPathComponent("ran-on-host")
        let repo = try Self.hostileRepository(marker: marker)
        defer { repo.remove() }
        // The diff is made on a copy, whose git runs the filter: start from a clean slate afterwards.
        let patch = try repo.diff { try append(PipelineTests.goodFunction, to: "toolz/itertoolz.py", in: $0) }
        try? FileManager.default.removeItem(at: marker)
        let before = try Self.snapshot(repo.root)
        let output = try run(
            [
                Self.runner, "check", "--repo", repo.root.path, "--diff", "-", "--format", "json",
                "--cache-dir", scratch.appendingPathComponent("cache").path, "--steps", "black,ruff",
            ],
            input: Data(patch.utf8), check: false)
        let report = try CheckReport(jsonString: output.stdout)
        #expect(report.verdict == .pass, "\(report.reason) \(output.stderr)")
        #expect(
            !FileManager.default.fileExists(atPath: marker.path),
            "a command from the checkout's .git/config ran on the host")
        let after = try Self.snapshot(repo.root)
        #expect(after == before, "changed: \(after.keys.filter { after[$0] != before[$0] }.sorted())")
    }

    @Test func servedCheckLeavesTheCheckoutByteForByteAsItWas() async throws {
        let server = try RunnerProcess()
        defer { server.stop() }
        let scratch = try makeTemporaryDirectory("hostile")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let marker = scratch.appendingPathComponent("ran-on-host")
        let repo = try Self.hostileRepository(marker: marker)
        defer { repo.remove() }
        let patch = try repo.diff { try append(PipelineTests.goodFunction, to: "toolz/itertoolz.py", in: $0) }
        try? FileManager.default.removeItem(at: marker)
        let before = try Self.snapshot(repo.root)
        var report: CheckReport?
        let request = CheckRequest.with {
            $0.requestID = "bytes-1"
            $0.repoPath = repo.root.path
            $0.diff = patch
        }
        for try await update in RunnerClient(socketPath: server.socket).check(request) {
            if case .report(let final) = update { report = final }
        }
        let final = try #require(report)
        #expect(final.verdict == .pass, "\(final.reason)")
        #expect(
            !FileManager.default.fileExists(atPath: marker.path),
            "a command from the checkout's .git/config ran on the host")
        let after = try Self.snapshot(repo.root)
        #expect(after == before, "changed: \(after.keys.filter { after[$0] != before[$0] }.sorted())")
    }

    /// A checkout laid out like a bare repository (`HEAD`, `objects/`, `refs/`, `config` at the top) must
    /// not make the apply check read that `config` when the patch touches it.
    @Test func aCheckoutShapedLikeABareRepositoryDoesNotConfigureTheApplyCheck() throws {
        let scratch = try makeTemporaryDirectory("bare-shaped")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let marker = scratch.appendingPathComponent("ran-on-host")
        let root = scratch.appendingPathComponent("repo")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("objects/info"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("refs/heads"), withIntermediateDirectories: true)
        try "ref: refs/heads/main\n".write(to: root.appendingPathComponent("HEAD"), atomically: true, encoding: .utf8)
        try "keep\n".write(to: root.appendingPathComponent("objects/info/keep"), atomically: true, encoding: .utf8)
        try "keep\n".write(to: root.appendingPathComponent("refs/heads/keep"), atomically: true, encoding: .utf8)
        let config =
            "[core]\n\tbare = true\n\tfsmonitor = sh -c 'touch \(marker.path)'\n[filter \"owned\"]\n\tclean = sh -c 'touch \(marker.path); cat'\n"
        try config.write(to: root.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try "* filter=owned\n".write(to: root.appendingPathComponent("attributes"), atomically: true, encoding: .utf8)
        try FixtureRepo.initializeRepository(at: root)
        let repo = FixtureRepo(root: root, baseCommit: try FixtureRepo.head(of: root))
        let patch = try repo.diff {
            try append("# more\n", to: "config", in: $0)
            try append("more\n", to: "HEAD", in: $0)
        }
        try? FileManager.default.removeItem(at: marker)
        let output = try run(
            [Self.runner, "check", "--repo", root.path, "--diff", "-", "--format", "json", "--steps", "black"],
            input: Data(patch.utf8), check: false)
        let report = try CheckReport(jsonString: output.stdout)
        #expect(report.patch.files.sorted() == ["HEAD", "config"], "\(report.reason) \(output.stderr)")
        #expect(report.verdict == .pass, "\(report.reason) \(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the copied config configured git on the host")
    }
}

/// Where a root runner keeps its workspaces when `TMPDIR` is private to root.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: getuid() == 0, "a root runner's job runs as another uid"))
struct WorkspaceFolderTests {
    static let runner = Paths.product("selfcheck-runner").path

    /// A TMPDIR inside a 0700 folder, as below /root or a per-user temporary folder.
    static func privateTemporary() throws -> (scratch: URL, environment: [String: String]) {
        let scratch = try makeTemporaryDirectory("private-tmp")
        chmod(scratch.path, 0o700)
        let temporary = scratch.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = temporary.path
        return (scratch, environment)
    }

    @Test func checkWorksWithAPrivateTemporaryFolder() throws {
        let (scratch, environment) = try Self.privateTemporary()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff { try append(PipelineTests.goodFunction, to: "toolz/itertoolz.py", in: $0) }
        let output = try run(
            [
                Self.runner, "check", "--repo", repo.root.path, "--diff", "-", "--format", "json", "--no-cache",
                "--steps", "black,ruff",
            ], input: Data(patch.utf8), environment: environment, check: false)
        let report = try CheckReport(jsonString: output.stdout)
        #expect(report.verdict == .pass, "\(report.reason) \(output.stderr)")
    }

    @Test func anUnreachableStateDirIsNamedNotReportedAsAFailedApply() throws {
        let (scratch, environment) = try Self.privateTemporary()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let patch = try repo.diff { try append(PipelineTests.goodFunction, to: "toolz/itertoolz.py", in: $0) }
        let stateDir = scratch.appendingPathComponent("state").path
        let output = try run(
            [
                Self.runner, "check", "--repo", repo.root.path, "--diff", "-", "--format", "json", "--no-cache",
                "--state-dir", stateDir,
            ], input: Data(patch.utf8), environment: environment, check: false)
        let report = try CheckReport(jsonString: output.stdout)
        #expect(report.verdict == .error)
        #expect(report.reason.contains("cannot enter \(scratch.path)"), "\(report.reason)")
        #expect(!report.reason.contains("did not apply"))

        let doctor = try run([Self.runner, "doctor", "--state-dir", stateDir], environment: environment, check: false)
        #expect(doctor.status != 0)
        #expect(
            doctor.stdout.contains("FAIL      workspace folder:")
                && doctor.stdout.contains("cannot enter \(scratch.path)"), "\(doctor.stdout)")
    }

    @Test func serveRefusesToStartWithoutAUsableWorkspaceFolder() throws {
        let (scratch, environment) = try Self.privateTemporary()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = try run(
            [
                Self.runner, "serve", "--socket", scratch.appendingPathComponent("run/runner.sock").path,
                "--state-dir", scratch.appendingPathComponent("state").path,
            ],
            environment: environment, check: false)
        #expect(output.status == 1)
        #expect(
            output.stderr.contains("no usable workspace folder") && output.stderr.contains("cannot enter"),
            "\(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("run/runner.sock").path))
    }
}

/// A root runner's idmapped copy of the checkout, while a job runs: the job reads it, no other host
/// process does (not `nobody`, not another uid), whatever the mode of the checkout's files.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: getuid() == 0, "only a root runner attaches a copy"))
struct CheckoutCopyTests {
    static let runner = Paths.product("selfcheck-runner").path

    @Test func otherHostProcessesCannotReadTheCheckoutCopyWhileAJobRuns() throws {
        let scratch = try makeTemporaryDirectory("copy")
        defer { try? FileManager.default.removeItem(at: scratch) }
        chmod(scratch.path, 0o755)
        let checkout = scratch.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
        chmod(checkout.path, 0o755)
        let secret = "copy-secret-\(UUID().uuidString.prefix(8))"
        let secretFile = checkout.appendingPathComponent("secret.txt")
        try "\(secret)\n".write(to: secretFile, atomically: true, encoding: .utf8)
        chmod(secretFile.path, 0o600)

        let job = Process()
        job.executableURL = URL(fileURLWithPath: Self.runner)
        job.arguments = [
            "exec", "--workspace", checkout.path, "--timeout", "20", "--", "/bin/sh", "-c", "cat secret.txt; sleep 4",
        ]
        let output = Pipe()
        job.standardOutput = output
        job.standardError = FileHandle.nullDevice
        try job.run()
        defer { if job.isRunning { kill(job.processIdentifier, SIGKILL) } }

        // The copy's mount point, from the host's mount table.
        var lower: String?
        let deadline = ContinuousClock.now + .seconds(10)
        while lower == nil && ContinuousClock.now < deadline {
            let table = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
            lower = table.split(separator: "\n").map { String($0.split(separator: " ")[4]) }
                .first { $0.contains("/selfcheck-ws-\(job.processIdentifier)-") && $0.hasSuffix("/lower") }
            if lower == nil { usleep(20_000) }
        }
        let copy = try #require(lower, "the job's checkout copy was not found in mountinfo")
        for uid in ["65534", "12345"] {
            let probe = try run(
                ["setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", "cat", copy + "/secret.txt"], check: false
            )
            #expect(probe.status != 0, "uid \(uid) read the checkout copy")
            #expect(!probe.stdout.contains(secret))
            let listing = try run(
                ["setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", "ls", copy], check: false)
            #expect(listing.status != 0, "uid \(uid) listed the checkout copy: \(listing.stdout)")
        }
        job.waitUntilExit()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(job.terminationStatus == 0)
        #expect(printed.contains(secret), "the job itself reads the checkout")
    }
}

/// `serve`'s start-up sweep in a TMPDIR others can write to.
@Suite(.serialized, .timeLimit(.minutes(2))) struct SweepTests {
    /// A pid no process has (pid_max is at most 2^22).
    static let deadPid = 2_000_000_000

    @Test func plantedLowerSymlinkToAMountIsNotUnmountedAndOthersFoldersStay() throws {
        let scratch = try makeTemporaryDirectory("sweep")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let victim = scratch.appendingPathComponent("victim")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        try run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", victim.path])
        defer { _ = try? run(["umount", "-l", victim.path], check: false) }
        try "still here\n".write(to: victim.appendingPathComponent("file"), atomically: true, encoding: .utf8)

        let serveFolder = scratch.appendingPathComponent("serve")
        let temporary = serveFolder.appendingPathComponent("tmp")
        // A "dead runner's workspace" whose lower is a symbolic link to someone else's mount.
        let planted = temporary.appendingPathComponent("selfcheck-ws-\(Self.deadPid)-planted")
        try FileManager.default.createDirectory(at: planted, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: planted.appendingPathComponent("lower").path, withDestinationPath: victim.path)
        // One that looks dead but belongs to another user: not the runner's to remove.
        let foreign = temporary.appendingPathComponent("selfcheck-ws-\(Self.deadPid)-foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        #expect(chown(foreign.path, 65534, 65534) == 0)

        let server = try RunnerProcess(directory: serveFolder)
        defer { server.stop() }
        #expect(FileManager.default.fileExists(atPath: server.socket), "serve started")
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(
            mounts.split(separator: "\n").contains { $0.split(separator: " ")[4] == victim.path },
            "the victim mount was detached")
        #expect((try? String(contentsOf: victim.appendingPathComponent("file"), encoding: .utf8)) == "still here\n")
        #expect(!FileManager.default.fileExists(atPath: planted.path), "the runner's own-looking folder is cleaned up")
        #expect(FileManager.default.fileExists(atPath: foreign.path), "another user's folder is left alone")
    }
}

/// `CheckoutState`: the baseline-cache key read without git.
@Suite(.serialized) struct CheckoutStateTests {
    @Test func cleanCheckoutHasAKeyThatFollowsItsContent() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let clean = try #require(CheckoutState.cleanKey(repo.root))
        #expect(CheckoutState.cleanKey(repo.root) == clean, "stable")

        // Python caches are ignored; other untracked files make it dirty.
        try FileManager.default.createDirectory(
            at: repo.root.appendingPathComponent("toolz/__pycache__"), withIntermediateDirectories: true)
        try "x".write(
            to: repo.root.appendingPathComponent("toolz/__pycache__/a.cpython-311.pyc"), atomically: true,
            encoding: .utf8)
        #expect(CheckoutState.cleanKey(repo.root) == clean)
        try "x = 1\n".write(to: repo.root.appendingPathComponent("toolz/extra.py"), atomically: true, encoding: .utf8)
        #expect(CheckoutState.cleanKey(repo.root) == nil, "an untracked file")
        try FileManager.default.removeItem(at: repo.root.appendingPathComponent("toolz/extra.py"))
        #expect(CheckoutState.cleanKey(repo.root) == clean)

        // A changed tracked file is dirty, whatever git's own index says.
        try append("\n# changed\n", to: "toolz/utils.py", in: repo.root)
        #expect(CheckoutState.cleanKey(repo.root) == nil, "a modified file")

        // Staged and committed: clean again, with another key.
        try FixtureRepo.git(["commit", "-q", "-am", "change"], in: repo.root)
        let committed = try #require(CheckoutState.cleanKey(repo.root))
        #expect(committed != clean)
    }

    @Test func racyFileIsHashedSoASameSizeSameMtimeEditIsCaught() throws {
        let repo = try FixtureRepo.make("toolz")
        defer { repo.remove() }
        let clean = try #require(CheckoutState.cleanKey(repo.root))
        let file = repo.root.appendingPathComponent("toolz/utils.py").path
        let index = repo.root.appendingPathComponent(".git/index").path
        let moment = [timespec(tv_sec: 1_500_000_000, tv_nsec: 5), timespec(tv_sec: 1_500_000_000, tv_nsec: 5)]
        // The index records the file at `moment`; then the index itself is stamped `moment`: racy.
        #expect(utimensat(AT_FDCWD, file, moment, 0) == 0)
        try FixtureRepo.git(["update-index", "--refresh"], in: repo.root)
        #expect(utimensat(AT_FDCWD, index, moment, 0) == 0)
        #expect(CheckoutState.cleanKey(repo.root) == clean, "racy but unchanged: hashed, clean")
        // Same size, same mtime, same inode, other contents: only the hash tells.
        let original = try Data(contentsOf: URL(fileURLWithPath: file))
        var edited = original
        edited[0] = edited[0] == UInt8(ascii: "#") ? UInt8(ascii: "!") : UInt8(ascii: "#")
        let handle = try #require(FileHandle(forWritingAtPath: file))
        try handle.write(contentsOf: edited)
        try handle.close()
        #expect(utimensat(AT_FDCWD, file, moment, 0) == 0)
        #expect(CheckoutState.cleanKey(repo.root) == nil)
    }

    @Test func knownBlobIDs() {
        #expect(
            SHA1.blobID([]).map { String(format: "%02x", $0) }.joined() == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        #expect(
            SHA1.blobID(Array("hello\n".utf8)).map { String(format: "%02x", $0) }.joined()
                == "ce013625030ba8dba906f756967f9e9ca394464a")
        let long = [UInt8]((0..<1000).map { UInt8($0 % 251) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("blob-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        #expect((try? Data(long).write(to: file)) != nil)
        let git = try? run(["git", "hash-object", file.path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(SHA1.blobID(long).map { String(format: "%02x", $0) }.joined() == git)
    }
}
