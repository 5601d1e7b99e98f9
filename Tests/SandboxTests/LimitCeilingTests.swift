import Foundation
import TestSupport
import Testing

@testable import Sandbox

/// A job's limits (a socket peer's `CheckRequest.limits`) can only lower the profile's, never raise them.
extension SandboxSuites {
    @Suite(.timeLimit(.minutes(2)))
    struct LimitCeilingTests {
        @Test func requestedLimitsAreCappedAtTheProfiles() async throws {
            var profile = try SandboxProfile.named("python-selfcheck")
            profile.limits.wallTimeMs = 1500
            profile.limits.memoryBytes = 64 << 20
            let sandbox = Sandbox(profile: profile)
            let asksForMore = SandboxLimits(wallTimeMs: 600_000, memoryBytes: 8 << 30)
            let sleeper = try await sandbox.run(SandboxJob(command: ["sleep", "30"], limits: asksForMore))
            #expect(sleeper.limitHit == .wallTime)
            #expect(sleeper.wallTime < .seconds(10))
            let bomb = try await sandbox.run(
                SandboxJob(
                    command: ["python3", "-c", "chunks = []\nwhile True: chunks.append(b'x' * (8 << 20))"],
                    limits: asksForMore))
            #expect(bomb.limitHit == .memory)
            // Lower limits still apply.
            let quick = try await sandbox.run(
                SandboxJob(command: ["sleep", "30"], limits: SandboxLimits(wallTimeMs: 200)))
            #expect(quick.limitHit == .wallTime)
            #expect(quick.wallTime < .seconds(1))
        }

        @Test func cappingTakesTheSmallerOfEachField() {
            let ceiling = SandboxLimits(
                wallTimeMs: 1000, cpuTimeMs: 2000, memoryBytes: 3000, maxPids: 40, outputBytes: nil, fileSizeBytes: 5000
            )
            let request = SandboxLimits(
                wallTimeMs: 5000, cpuTimeMs: 0, memoryBytes: 100, maxPids: nil, outputBytes: 77, fileSizeBytes: 9000)
            #expect(
                request.capped(by: ceiling)
                    == SandboxLimits(
                        wallTimeMs: 1000, cpuTimeMs: 2000, memoryBytes: 100, maxPids: 40, outputBytes: 77,
                        fileSizeBytes: 5000))
        }
    }
}
