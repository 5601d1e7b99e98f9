import Foundation
import TestSupport
import Testing

/// The committed generated code was made from the protos as they are now.
@Suite struct GeneratedCodeTests {
    @Test func generatedCodeMatchesProtos() throws {
        let output = try run([Paths.packageRoot.appendingPathComponent("scripts/check-generated").path], check: false)
        #expect(output.status == 0, "\(output.stderr)")
    }

    @Test func staleCheckFailsWhenAProtoChanges() throws {
        // Copy the folders the check reads, change a proto, and expect the check to refuse.
        let dir = try makeTemporaryDirectory("stale")
        defer { try? FileManager.default.removeItem(at: dir) }
        for sub in ["scripts", "Protos", "Sources/Contracts", "Sources/AgentContracts"] {
            let target = dir.appendingPathComponent(sub)
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Paths.packageRoot.appendingPathComponent(sub), to: target)
        }
        let proto = dir.appendingPathComponent("Protos/srm.proto")
        try (String(contentsOf: proto, encoding: .utf8) + "\nmessage Extra {}\n").write(
            to: proto, atomically: true, encoding: .utf8)
        let output = try run([dir.appendingPathComponent("scripts/check-generated").path], check: false)
        #expect(output.status != 0)
        #expect(output.stderr.contains("stale"))
    }
}
