import Foundation
import TestSupport
import Testing

@testable import SelfCheck

/// The environment cache's trim never removes an environment a running check has mounted: checks hold a
/// shared flock (`EnvironmentLease`), the trim takes an exclusive non-blocking one before it removes.
@Suite(.serialized)
struct EnvironmentLeaseTests {
    static func environment(_ name: String, in root: URL, minutesAgo: Double) throws -> URL {
        let directory = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(count: 1000).write(to: directory.appendingPathComponent("environment.json"))
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -minutesAgo * 60)], ofItemAtPath: directory.path)
        return directory
    }

    static func names(in root: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
    }

    /// Two users at once: a check in this process, and another runner process (python3 holding the same
    /// kind of shared flock). The trim must leave both in place, and remove them once both let go.
    @Test func environmentsInUseByTwoChecksSurviveTheTrim() throws {
        let root = try makeTemporaryDirectory("env-lease")
        defer { try? FileManager.default.removeItem(at: root) }
        let ours = try Self.environment("ours", in: root, minutesAgo: 30)
        let theirs = try Self.environment("theirs", in: root, minutesAgo: 20)
        _ = try Self.environment("idle", in: root, minutesAgo: 10)
        _ = try Self.environment("current", in: root, minutesAgo: 0)

        var lease = EnvironmentLease.acquire(ours)
        #expect(lease != nil)
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        other.arguments = [
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_SH); print('held', flush=True); sys.stdin.read()",
            theirs.path,
        ]
        let output = Pipe()
        let input = Pipe()
        other.standardOutput = output
        other.standardInput = input
        try other.run()
        let held = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        #expect(held.hasPrefix("held"))

        EnvironmentCache(directory: root).trim(toBytes: 0, keeping: "current")
        #expect(try Self.names(in: root) == ["current", "ours", "theirs"])
        #expect(FileManager.default.fileExists(atPath: ours.appendingPathComponent("environment.json").path))
        #expect(FileManager.default.fileExists(atPath: theirs.appendingPathComponent("environment.json").path))

        try input.fileHandleForWriting.close()
        other.waitUntilExit()
        lease = nil
        EnvironmentCache(directory: root).trim(toBytes: 0, keeping: "current")
        #expect(try Self.names(in: root) == ["current"])
    }

    /// A check taking its lease while a trim removes the same environment, over and over: a lease, once
    /// held, always names a directory that is there and stays there until it is released.
    @Test func aLeaseAndATrimRacingNeverLeaveACheckWithoutItsEnvironment() async throws {
        let root = try makeTemporaryDirectory("env-lease-race")
        defer { try? FileManager.default.removeItem(at: root) }
        let path = try Self.environment("shared", in: root, minutesAgo: 0)
        let marker = path.appendingPathComponent("environment.json").path
        let deadline = ContinuousClock.now + .seconds(3)

        async let checks: (leases: Int, lost: Int) = {
            var leases = 0
            var lost = 0
            while ContinuousClock.now < deadline {
                guard let lease = EnvironmentLease.acquire(path) else { continue }
                leases += 1
                for _ in 0..<3 where !FileManager.default.fileExists(atPath: marker) { lost += 1 }
                withExtendedLifetime(lease) {}
            }
            return (leases, lost)
        }()
        async let removals: Int = {
            var removed = 0
            while ContinuousClock.now < deadline {
                if EnvironmentLease.removeUnlessInUse(path) {
                    removed += 1
                    // Published whole, as the builder does: built under a hidden name, then renamed.
                    let staging = try? Self.environment(".staging", in: root, minutesAgo: 0)
                    if let staging { rename(staging.path, path.path) }
                }
            }
            return removed
        }()
        let (result, removed) = await (checks, removals)
        #expect(result.lost == 0, "a held environment disappeared \(result.lost) times")
        #expect(result.leases > 0)
        #expect(removed > 0, "the trim never got its turn: the race was not exercised")
    }
}
