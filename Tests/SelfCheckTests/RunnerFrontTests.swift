import Foundation
import TestSupport
import Testing

/// `selfcheck-runner` runs `exec` itself and becomes `selfcheck-runner-full` (execv) for everything else;
/// the full runner is found beside the real executable, never through PATH, a symlink's folder or the
/// working directory.
@Suite struct RunnerFrontTests {
    static let front = Paths.product("selfcheck-runner")

    @Test func otherCommandsAreServedByTheFullRunnerUnderTheSameName() throws {
        let version = try run([Self.front.path, "version"])
        #expect(version.stdout.hasPrefix("selfcheck-runner "), "\(version.stdout)")
        let help = try run([Self.front.path, "--help"], check: false)
        #expect(help.status == 0, "\(help.stderr)")
        for command in ["check", "serve", "exec", "doctor"] { #expect(help.stdout.contains(command), "\(help.stdout)") }
        #expect(help.stdout.contains("USAGE: selfcheck-runner "), "\(help.stdout)")
        let unknown = try run([Self.front.path, "no-such-command"], check: false)
        #expect(unknown.status == 64, "\(unknown.status) \(unknown.stderr)")
    }

    /// The same pid runs on: the process a supervisor started becomes `serve` in selfcheck-runner-full, so
    /// its signals and waits reach the full runner.
    @Test func theFullRunnerReplacesTheProcess() throws {
        let folder = try makeTemporaryDirectory("front-serve")
        defer { try? FileManager.default.removeItem(at: folder) }
        let process = Process()
        process.executableURL = Self.front
        process.arguments = [
            "serve", "--socket", folder.appendingPathComponent("runner.sock").path, "--cache-dir",
            folder.appendingPathComponent("cache").path,
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        var image = ""
        for _ in 0..<100 where !image.hasSuffix("/selfcheck-runner-full") {
            image =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.processIdentifier)/exe"))
                ?? ""
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(image.hasSuffix("/selfcheck-runner-full"), "pid \(process.processIdentifier) runs \(image)")
        #expect(process.isRunning, "serve exited: \(process.terminationStatus)")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 || process.terminationReason == .uncaughtSignal)
    }

    /// A link to the front in another folder, with a planted `selfcheck-runner-full` beside the link: the
    /// plant never runs, the real full runner does.
    @Test func aPlantedFullRunnerBesideALinkIsNotRun() throws {
        let folder = try makeTemporaryDirectory("front-link")
        defer { try? FileManager.default.removeItem(at: folder) }
        let link = folder.appendingPathComponent("selfcheck-runner")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: Self.front)
        let marker = folder.appendingPathComponent("planted-ran")
        let plant = folder.appendingPathComponent("selfcheck-runner-full")
        try "#!/bin/sh\ntouch \(marker.path)\necho planted\n".write(to: plant, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plant.path)
        let version = try run(
            [link.path, "version"], in: folder, environment: ["PATH": folder.path + ":/usr/bin:/bin"])
        #expect(version.stdout.hasPrefix("selfcheck-runner "), "\(version.stdout)")
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the planted selfcheck-runner-full ran")
    }

    /// Installed without the full runner: `exec` still works; anything else says what is missing.
    @Test func aMissingFullRunnerIsNamedAndExecStillRuns() throws {
        let folder = try makeTemporaryDirectory("front-alone")
        defer { try? FileManager.default.removeItem(at: folder) }
        let alone = folder.appendingPathComponent("selfcheck-runner")
        try FileManager.default.copyItem(at: Self.front, to: alone)
        let serve = try run([alone.path, "serve"], check: false)
        #expect(serve.status == 70, "\(serve.status) \(serve.stderr)")
        #expect(
            serve.stderr.contains(folder.appendingPathComponent("selfcheck-runner-full").path)
                && serve.stderr.contains("selfcheck-runner-full"), "\(serve.stderr)")
        let exec = try run([alone.path, "exec", "--", "sh", "-c", "echo inside; exit 4"], check: false)
        #expect(exec.status == 4 && exec.stdout == "inside\n", "\(exec.status) \(exec.stdout) \(exec.stderr)")
    }
}
