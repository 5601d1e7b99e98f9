import AgentServices
import Foundation
import TestSupport
import Testing

/// `coding-agent dev-srm` and the service flags, as a user runs them (about 1 s).
@Suite(.serialized, .timeLimit(.minutes(1))) struct DevSRMCommandTests {
    @Test func devSRMGrantsRefusesAndLogsEachClaim() async throws {
        let folder = try makeTemporaryDirectory("dev-srm")
        defer { try? FileManager.default.removeItem(at: folder) }
        let stdout = folder.appendingPathComponent("stdout")
        let stderr = folder.appendingPathComponent("stderr")
        try Data().write(to: stdout)
        try Data().write(to: stderr)
        let process = Process()
        process.executableURL = Paths.product("coding-agent")
        process.arguments = ["dev-srm", "--port", "0", "--refuse", "9"]
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        var printed = ""
        for _ in 0..<200 where !printed.hasSuffix("\n") {
            try await Task.sleep(for: .milliseconds(50))
            printed = try String(contentsOf: stdout, encoding: .utf8)
        }
        let address = try ServiceAddress(parsing: printed.trimmingCharacters(in: .whitespacesAndNewlines))
        let connection = try ServiceConnection(address: address, logger: AgentBed.quiet)
        let claimer = SrmLeaseClaimer(connection: connection)
        #expect(try await claimer.claim(leaseID: 7, commitSHA: "0a1b2c").ok)
        #expect(try await !claimer.claim(leaseID: 9, commitSHA: "0a1b2c").ok)
        await connection.shutdown()
        process.terminate()
        process.waitUntilExit()

        #expect(process.terminationStatus == 0)
        let log = try String(contentsOf: stderr, encoding: .utf8).split(separator: "\n")
        #expect(
            log.contains {
                $0.contains("lease_id=7") && $0.contains("commit_sha=0a1b2c") && $0.contains("claim granted")
            }, "\(log)")
        #expect(log.contains { $0.contains("lease_id=9") && $0.contains("claim refused") }, "\(log)")
    }

    @Test func aBadServiceAddressStopsTheAgentNamingIt() throws {
        let folder = try makeTemporaryDirectory("bad-addr")
        defer { try? FileManager.default.removeItem(at: folder) }
        let task = folder.appendingPathComponent("task.json")
        try #"{"id": "T1", "goal": "g", "base_commit": "abc"}"#.write(to: task, atomically: true, encoding: .utf8)
        let output = try run(
            [
                Paths.product("coding-agent").path, "once", "--task", task.path, "--cache-dir", folder.path,
                "--srm-addr", "srm",
            ],
            check: false)
        #expect(output.status == 64)
        #expect(output.stderr.contains(#"--srm-addr: "srm" is not a host:port address (no port)"#), "\(output.stderr)")
    }
}
