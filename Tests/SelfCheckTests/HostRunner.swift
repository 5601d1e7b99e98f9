import Contracts
import Foundation
import Patch
import TestSupport

@testable import SelfCheck

/// Unit-test stand-ins behind SelfCheck's protocols: a plain copy of the checkout as the workspace and
/// host processes as the "sandbox", so the judging logic can be tested with the real tools on their own.
/// The sandboxed path is covered end to end by the selfcheck-runner tests.
struct CopiedWorkspace: CheckWorkspace {
    let root: URL
    func read(_ relativePath: String) throws -> Data? {
        FileManager.default.contents(atPath: root.appendingPathComponent(relativePath).path)
    }
    func remove() throws { try FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
}

final class HostRunner: JobRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var _commands: [[String]] = []
    /// Every command run so far (to assert, e.g., that a warm baseline ran nothing at the base).
    var commands: [[String]] { lock.withLock { _commands } }
    private(set) var workspacesMade = 0
    static let unblockAndExec =
        "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])"

    func makeWorkspace(checkout: URL) async throws -> any CheckWorkspace {
        lock.withLock { workspacesMade += 1 }
        let parent = try makeTemporaryDirectory("ws")
        let root = parent.appendingPathComponent("work")
        try TestSupport.run(["cp", "-a", checkout.path, root.path])
        return CopiedWorkspace(root: root)
    }

    func run(
        _ command: [String], in workspace: any CheckWorkspace, stdin: [UInt8]?, limits: Limits,
        onOutput: (@Sendable ([UInt8]) -> Void)?
    ) async throws -> JobResult {
        lock.withLock { _commands.append(command) }
        let root = (workspace as! CopiedWorkspace).root
        let start = ContinuousClock.now
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Processes started from Swift concurrency threads inherit a mask that blocks most signals
        // (SIGTERM, SIGCHLD…), which breaks Python's subprocess handling: clear it before exec.
        process.arguments = ["/usr/bin/python3", "-c", Self.unblockAndExec] + command
        process.currentDirectoryURL = root
        process.environment = [
            "PATH": "/opt/selfcheck-tools/bin:/usr/bin:/bin", "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1",
        ]
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try? input.fileHandleForWriting.close()
        // Stand-in for the sandbox's wall-time limit.
        let deadline = DispatchTime.now() + .milliseconds(Int(limits.wallTimeMs))
        nonisolated(unsafe) var timedOut = false
        let pid = process.processIdentifier
        let timer = DispatchWorkItem {
            if process.isRunning {
                timedOut = true
                kill(pid, SIGKILL)
            }
        }
        DispatchQueue.global().asyncAfter(deadline: deadline, execute: timer)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        onOutput?(Array(data))
        process.waitUntilExit()
        timer.cancel()
        let killed = process.terminationReason == .uncaughtSignal
        return JobResult(
            exitCode: killed ? -1 : process.terminationStatus, signal: killed ? process.terminationStatus : 0,
            limitHit: timedOut ? .wallTime : .none, durationMs: UInt64((ContinuousClock.now - start).milliseconds),
            output: String(decoding: data, as: UTF8.self), isolation: ["none (unit-test host runner)"])
    }
}

/// Resolves only diffs that `git apply --check` takes as they are (the real engine is in Patch).
struct GitCheckResolver: PatchResolver {
    func prepare(_ modelText: String, against checkout: URL) -> Result<ResolvedPatch, PatchError> {
        guard
            let output = try? run(
                ["git", "apply", "--check", "-"], in: checkout, input: Data(modelText.utf8), check: false),
            output.succeeded
        else { return .failure(PatchError(rule: "context-not-found", message: "git apply --check refused it")) }
        let files = modelText.split(separator: "\n").filter { $0.hasPrefix("+++ b/") || $0.hasPrefix("--- a/") }
            .map { String($0.dropFirst(6)) }
        return .success(
            ResolvedPatch(
                canonicalDiff: modelText, files: Array(Set(files)).sorted(), repairs: [],
                linesAdded: 0, linesRemoved: 0))
    }
}
