import Foundation
import Testing

@testable import Patch

/// The `git apply --check` scratch folders a runner killed mid-check leaves in TMPDIR.
@Suite struct PatchScratchTests {
    @Test func aDeadRunnersScratchFoldersGoAndNothingElseIsTouched() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scratch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier

        let stale = directory.appendingPathComponent("\(GitApply.scratchPrefix)\(dead)-abc123")
        try FileManager.default.createDirectory(
            at: stale.appendingPathComponent("work/selfcheck-base-copy"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: stale.appendingPathComponent("patch.diff"))
        // A link inside points out of the folder: it goes, what it points to stays.
        let outside = directory.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: outside.appendingPathComponent("file"))
        try FileManager.default.createSymbolicLink(
            at: stale.appendingPathComponent("work/link"), withDestinationURL: outside)
        let live = directory.appendingPathComponent("\(GitApply.scratchPrefix)\(getpid())-def456")
        try FileManager.default.createDirectory(at: live, withIntermediateDirectories: true)
        // A planted link under a dead runner's name is not followed into what it names.
        let planted = directory.appendingPathComponent("\(GitApply.scratchPrefix)\(dead)-link00")
        try FileManager.default.createSymbolicLink(at: planted, withDestinationURL: outside)

        let removed = PatchScratch.sweepStale(in: directory)
        #expect(removed.map(\.lastPathComponent) == [stale.lastPathComponent])
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: live.path))
        #expect(try String(contentsOf: outside.appendingPathComponent("file"), encoding: .utf8) == "keep")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: planted.path)) != nil)
    }
}
