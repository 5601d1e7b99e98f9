import Foundation
import TestSupport
import Testing

/// `scripts/check-self-contained`, which the test command runs: this repository passes, and a
/// repository that refers outside itself fails, naming the line.
struct SelfContainedTests {
    static let script = Paths.packageRoot.appendingPathComponent("scripts/check-self-contained").path

    @Test func thisRepositoryReferencesNothingOutsideIt() throws {
        let output = try run([Self.script], check: false)
        #expect(output.status == 0, "\(output.stderr)")
    }

    @Test func eachKindOfOutsideReferenceFails() throws {
        // Built from pieces so that this file itself does not trip the check.
        let sibling = ".." + "/shared/ARCHITECTURE.md"
        let machine = "/work" + "/main/fixtures/x.tar.gz"
        let cases = [
            ("README.md", "the design is in [the card](\(sibling))\n"),
            ("docs/a.md", "see [up](../../outside.md)\n"),
            ("Sources/a.swift", "let fixtures = \"\(sibling)\"\n"),
            ("scripts/b", "tar -xzf \(machine)\n"),
        ]
        for (path, line) in cases {
            let repo = try makeTemporaryDirectory("self-contained")
            defer { try? FileManager.default.removeItem(at: repo) }
            try run(["git", "init", "-q"], in: repo)
            let file = repo.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try "fine\n".write(to: repo.appendingPathComponent("ok.md"), atomically: true, encoding: .utf8)
            try line.write(to: file, atomically: true, encoding: .utf8)
            try run(["git", "add", "-A"], in: repo)

            let output = try run([Self.script, repo.path], check: false)
            #expect(output.status == 1, "\(path): \(output.stderr)")
            #expect(output.stderr.contains(path), "\(path) is named: \(output.stderr)")
        }
    }

    @Test func linksInsideTheTreeAndURLsPass() throws {
        let repo = try makeTemporaryDirectory("self-contained")
        defer { try? FileManager.default.removeItem(at: repo) }
        try run(["git", "init", "-q"], in: repo)
        try FileManager.default.createDirectory(
            at: repo.appendingPathComponent("docs"), withIntermediateDirectories: true)
        try "[up](../README.md) [web](https://example.com/../x) [anchor](#top)\n".write(
            to: repo.appendingPathComponent("docs/a.md"), atomically: true, encoding: .utf8)
        try "/work is the sandbox's workspace; /work/wt-sandbox is not ours\n".write(
            to: repo.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        try run(["git", "add", "-A"], in: repo)
        let output = try run([Self.script, repo.path], check: false)
        #expect(output.status == 0, "\(output.stderr)")
    }
}
