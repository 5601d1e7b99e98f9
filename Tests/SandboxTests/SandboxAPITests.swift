import Foundation
import TestSupport
import Testing

@testable import Sandbox

/// The Swift API the self-check runner uses: workspaces shared by successive jobs, outcomes, streaming,
/// cancellation, profiles.
extension SandboxSuites {
    @Suite(.timeLimit(.minutes(2)))
    struct SandboxAPITests {
        let sandbox = Sandbox(profile: try! SandboxProfile.named("python-selfcheck"))

        @Test func successiveJobsShareTheWorkspaceAndTheCheckoutStaysUntouched() async throws {
            let checkout = try makeCheckout(owner: geteuid() == 0 ? .root : .unprivileged)
            defer { try? FileManager.default.removeItem(at: checkout) }
            let before = try treeDigest(checkout)
            let workspace = try Workspace.create(lower: checkout)
            let first = try await sandbox.run(
                SandboxJob(
                    command: [
                        "sh", "-c",
                        "echo '# step one' >> pkg/core.py && rm README.md && mkdir -p docs && echo hi > docs/a.txt",
                    ],
                    workspace: workspace))
            #expect(first.exitCode == 0, "\(first.outputText)")
            let second = try await sandbox.run(
                SandboxJob(
                    command: ["sh", "-c", "tail -1 pkg/core.py; test ! -e README.md && cat docs/a.txt"],
                    workspace: workspace))
            #expect(second.exitCode == 0)
            #expect(second.outputText == "# step one\nhi\n")
            #expect(try workspace.changedFiles == ["README.md", "docs/a.txt", "pkg/core.py"])
            #expect(try treeDigest(checkout) == before)
            let directory = workspace.directory.path
            try workspace.remove()
            #expect(!FileManager.default.fileExists(atPath: directory))
            let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            #expect(!mounts.contains(directory), "a mount of the workspace was left behind")
        }

        @Test func outcomeReportsExitCodeTimesAndIsolation() async throws {
            let outcome = try await sandbox.run(
                SandboxJob(command: ["python3", "-c", "import sys; sum(range(10**6)); sys.exit(3)"]))
            #expect(outcome.exitCode == 3)
            #expect(outcome.signal == nil)
            #expect(outcome.limitHit == nil)
            #expect(outcome.wallTime > .zero)
            #expect(outcome.peakRSSKB > 0)
            #expect(
                outcome.isolation.contains { $0.hasPrefix("seccomp (") && $0.hasSuffix("others ENOSYS)") },
                "\(outcome.isolation)")
            #expect(outcome.isolation.contains { $0.hasPrefix("userns") })
        }

        @Test func cpuTimeIsCountedForAJobStoppedByTheWallTimeLimit() async throws {
            let outcome = try await sandbox.run(
                SandboxJob(command: ["python3", "-c", "while True: pass"], limits: SandboxLimits(wallTimeMs: 1000)))
            #expect(outcome.limitHit == .wallTime)
            #expect(outcome.signal == SIGKILL)
            #expect(outcome.cpuTime > .milliseconds(500), "\(outcome.cpuTime)")
        }

        @Test func outputIsStreamedAndTheTailIsKeptUnderTheCap() async throws {
            var profile = try SandboxProfile.named("python-selfcheck")
            profile.outputTailBytes = 1000
            let chunks = Counter()
            let outcome = try await Sandbox(profile: profile).run(
                SandboxJob(
                    command: ["python3", "-c", "print('a' * 5000); print('END')"],
                    onOutput: { chunks.add($0.count) }))
            #expect(outcome.exitCode == 0)
            #expect(outcome.outputTruncated)
            #expect(outcome.output.count == 1000)
            #expect(outcome.outputText.hasSuffix("aaa\nEND\n"))
            #expect(chunks.total == 5005)
        }

        @Test func standardInputReachesTheJob() async throws {
            let outcome = try await sandbox.run(
                SandboxJob(command: ["tr", "a-z", "A-Z"], stdin: Array("hello sandbox\n".utf8)))
            #expect(outcome.outputText == "HELLO SANDBOX\n")
        }

        /// A job that exits without reading its input: the runner's writes fail with EPIPE, which must not
        /// become a SIGPIPE that kills the runner (this test process).
        @Test func aJobThatLeavesItsInputUnreadEndsNormally() async throws {
            let outcome = try await sandbox.run(
                SandboxJob(command: ["true"], stdin: [UInt8](repeating: UInt8(ascii: "a"), count: 4 << 20)))
            #expect(outcome.exitCode == 0)
            #expect(outcome.signal == nil)
        }

        @Test func environmentIsTheAllowListPlusTheJobsVariables() async throws {
            setenv("SELFCHECK_TEST_SECRET", "do-not-leak", 1)
            defer { unsetenv("SELFCHECK_TEST_SECRET") }
            let outcome = try await sandbox.run(SandboxJob(command: ["env"], environment: ["EXTRA": "1"]))
            let names = Set(outcome.outputText.split(separator: "\n").map { String($0.split(separator: "=")[0]) })
            #expect(names.contains("EXTRA"))
            #expect(names.contains("PATH"))
            #expect(!outcome.outputText.contains("do-not-leak"))
            #expect(
                names.isSubset(of: Set(sandbox.profile.environment.keys).union(["EXTRA", "TZ", "PWD", "SHLVL", "_"])))
        }

        @Test func cancellingTheTaskKillsTheWholeJobTree() async throws {
            let marker = "4545.\(Int.random(in: 100_000...999_999))"
            let task = Task {
                try await sandbox.run(SandboxJob(command: ["sh", "-c", "sleep \(marker) & sleep \(marker); wait"]))
            }
            #expect(waitUntil(seconds: 10) { processExists(withMarker: marker) })
            task.cancel()
            let outcome = try await task.value
            #expect(outcome.cancelled)
            #expect(outcome.signal == SIGKILL)
            #expect(!processExists(withMarker: marker))
        }

        /// The outcome comes as soon as pid 1 reports the job's end, before pid 1 has exited; by then the job's
        /// cgroup is gone (pid 1 left it), and pid 1 is reaped right after.
        @Test func theJobsGroupIsRemovedAndPid1ReapedOnceTheOutcomeIsBack() async throws {
            let marker = "4546.\(Int.random(in: 100_000...999_999))"
            let task = Task { try await sandbox.run(SandboxJob(command: ["sh", "-c", "sleep 1; true", marker])) }
            #expect(waitUntil(seconds: 10) { processExists(withMarker: marker) })
            let shell = try #require(pids(withMarker: marker).first)
            let pid1 = try #require(parentPid(of: shell))
            let memoryLine = try String(contentsOfFile: "/proc/\(shell)/cgroup", encoding: .utf8)
                .split(separator: "\n").first { $0.split(separator: ":").dropFirst().first == "memory" }
            let group = memoryLine.map { "/sys/fs/cgroup/memory" + $0.split(separator: ":", maxSplits: 2)[2] }
            let outcome = try await task.value
            #expect(outcome.exitCode == 0)
            if outcome.isolation.contains("cgroup-v1 memory") {
                let group = try #require(group)
                #expect(group.contains("/selfcheck-\(getpid())-"), "\(group)")
                #expect(!FileManager.default.fileExists(atPath: group), "the job's group outlived its outcome")
            }
            #expect(waitUntil(seconds: 10) { !FileManager.default.fileExists(atPath: "/proc/\(pid1)") })
        }

        /// `runOnCallingThread` returns without waiting for pid 1 to exit; a later call reaps it.
        @Test func runOnCallingThreadLeavesNoPid1Behind() async throws {
            let marker = "4547.\(Int.random(in: 100_000...999_999))"
            let sandbox = sandbox
            let first = Task.detached {
                try sandbox.runOnCallingThread(SandboxJob(command: ["sh", "-c", "sleep 1; true", marker]))
            }
            #expect(waitUntil(seconds: 10) { processExists(withMarker: marker) })
            let shell = try #require(pids(withMarker: marker).first)
            let pid1 = try #require(parentPid(of: shell))
            #expect(try await first.value.exitCode == 0)
            #expect(
                waitUntil(seconds: 10) {
                    _ = try? sandbox.runOnCallingThread(SandboxJob(command: ["true"]))
                    return !FileManager.default.fileExists(atPath: "/proc/\(pid1)")
                })
        }

        /// The job's cgroup namespace starts at its own group: it never sees the runner's groups or names.
        @Test func theJobSeesItsOwnGroupAsTheRoot() async throws {
            let outcome = try await sandbox.run(SandboxJob(command: ["cat", "/proc/self/cgroup"]))
            #expect(outcome.exitCode == 0)
            #expect(!outcome.outputText.contains("selfcheck-"), "\(outcome.outputText)")
            if outcome.isolation.contains("cgroup-v1 memory") {
                #expect(outcome.outputText.contains(":memory:/\n"), "\(outcome.outputText)")
            }
        }

        @Test func missingCommandIs127NotASetupFailure() async throws {
            let outcome = try await sandbox.run(SandboxJob(command: ["no-such-command-xyz"]))
            #expect(outcome.exitCode == 127)
            #expect(outcome.outputText.contains("cannot execute no-such-command-xyz"))
        }

        @Test func unusableProfileFailsClosed() async throws {
            var profile = try SandboxProfile.named("python-selfcheck")
            profile.mounts.append(.init(type: .bind, source: "/no/such/dir"))
            await #expect(throws: SandboxError.self) {
                try await Sandbox(profile: profile).run(SandboxJob(command: ["true"]))
            }
            profile = try SandboxProfile.named("python-selfcheck")
            profile.seccomp.rules.append(
                .init(action: .errno, errno: "EPERM", syscalls: ["no_such_syscall"], args: nil))
            await #expect(throws: SandboxError.self) {
                try await Sandbox(profile: profile).run(SandboxJob(command: ["true"]))
            }
        }

        @Test func auditModeLogsInsteadOfDenying() async throws {
            var profile = try SandboxProfile.named("python-selfcheck")
            let code =
                "import ctypes; libc = ctypes.CDLL(None, use_errno=True); libc.syscall(272, 0x10000000); print(ctypes.get_errno())"
            let denied = try await Sandbox(profile: profile).run(SandboxJob(command: ["python3", "-c", code]))
            #expect(denied.outputText == "\(EPERM)\n")
            profile.seccomp.audit = true
            let audited = try await Sandbox(profile: profile).run(SandboxJob(command: ["python3", "-c", code]))
            #expect(audited.outputText != "\(EPERM)\n", "\(audited.outputText)")
        }

        @Test func checkToolsWorkInTheDefaultProfile() async throws {
            try #require(
                FileManager.default.fileExists(atPath: "/opt/selfcheck-tools/bin/pytest"), "run scripts/setup first")
            let checkout = try makeCheckout(owner: geteuid() == 0 ? .root : .unprivileged)
            defer { try? FileManager.default.removeItem(at: checkout) }
            try Data(
                """
                import multiprocessing, socket
                from pkg.core import add

                def square(x):
                    return x * x

                def test_add():
                    assert add(2, 3) == 5

                def test_multiprocessing_and_sockets():
                    with multiprocessing.Pool(2) as pool:
                        assert pool.map(square, [1, 2, 3]) == [1, 4, 9]
                    lock = multiprocessing.Lock()
                    with lock:
                        a, b = socket.socketpair()
                        a.send(b"x")
                        assert b.recv(1) == b"x"
                """.utf8
            ).write(to: checkout.appendingPathComponent("test_core.py"))
            chmod(checkout.appendingPathComponent("test_core.py").path, 0o644)
            let workspace = try Workspace.create(lower: checkout)
            defer { try? workspace.remove() }
            for command in [
                ["black", "--check", "pkg"], ["ruff", "check", "--no-cache", "pkg"],
                ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            ] {
                let outcome = try await sandbox.run(
                    SandboxJob(command: command, workspace: workspace, limits: SandboxLimits(wallTimeMs: 60_000)))
                #expect(outcome.exitCode == 0, "\(command): \(outcome.outputText)")
            }
        }

        @Test func embeddedDefaultMatchesTheProfileFile() throws {
            let file = Paths.packageRoot.appendingPathComponent("sandbox-profiles/python-selfcheck.json")
            let fromFile = try JSONDecoder().decode(SandboxProfile.self, from: Data(contentsOf: file))
            #expect(SandboxProfile.embeddedDefault == fromFile)
        }

        @Test(arguments: ["python-selfcheck", "strict"])
        func everyShippedProfileLoadsCompilesAndRuns(name: String) async throws {
            let profile = try SandboxProfile.named(name)
            #expect(profile.name == name)
            let outcome = try await Sandbox(profile: profile).run(SandboxJob(command: ["sh", "-c", "echo ok"]))
            #expect(outcome.outputText == "ok\n")
        }

        @Test func notInConditionsBecomeAlignedBlocks() {
            let blocks = SeccompFilter.alignedBlocks(from: 3, through: 9)
            #expect(blocks.map(\.0) == [3, 4, 8])
            #expect(blocks.map { ~$0.1 + 1 } == [1, 4, 2])
        }
    }
}

/// A thread-safe byte counter for output callbacks.
final class Counter: @unchecked Sendable {  // guarded by lock
    private let lock = NSLock()
    private var value = 0
    func add(_ n: Int) { lock.withLock { value += n } }
    var total: Int { lock.withLock { value } }
}
