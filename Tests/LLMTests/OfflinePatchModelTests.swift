import Foundation
import LLM
import TestSupport
import Testing

/// The offline model's diffs must apply: each test checks them with `git apply --check` on a real file.
@Suite(.timeLimit(.minutes(1)))
struct OfflinePatchModelTests {
    /// Writes `files` into a new repository and returns whether `git apply --check` accepts `diff`.
    func applies(_ diff: String, to files: [String: String]) throws -> ProcessOutput {
        let root = try makeTemporaryDirectory("offline-model")
        defer { try? FileManager.default.removeItem(at: root) }
        for (path, content) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try content.write(to: url, atomically: true, encoding: .utf8)
        }
        try FixtureRepo.initializeRepository(at: root)
        return try run(["git", "apply", "--check", "-v", "-"], in: root, input: Data(diff.utf8), check: false)
    }

    @Test(arguments: [
        "import os\n\n\ndef greet():\n    return 'hi'\n",
        "x = 1",  // no final newline
        "",  // empty file
        "one line\n",
    ])
    func appendsAMarkerThatApplies(content: String) async throws {
        let prompt = PromptBuilder().build(
            goal: "add greet()", path: "pkg/greet.py", snippets: [ContextSnippet(path: "pkg/greet.py", text: content)])
        let reply = try await OfflinePatchModel().proposePatch(prompt)
        #expect(
            reply.diff.hasPrefix(
                "diff --git a/pkg/greet.py b/pkg/greet.py\n--- a/pkg/greet.py\n+++ b/pkg/greet.py\n@@ "))
        #expect(reply.diff.contains("+# \(OfflinePatchModel.marker)\n"))
        let check = try applies(reply.diff, to: ["pkg/greet.py": content])
        #expect(check.succeeded, "git apply: \(check.stderr)\n\(reply.diff)")
    }

    @Test func isDeterministic() async throws {
        let prompt = PromptBuilder().build(
            goal: "g", path: "a.py", snippets: [ContextSnippet(path: "a.py", text: "a = 1\n")])
        let first = try await OfflinePatchModel().proposePatch(prompt)
        let second = try await OfflinePatchModel().proposePatch(prompt)
        #expect(first == second)
    }

    @Test func readsTheFileThroughTheClosureFirst() async throws {
        let readme = "# Project\n\nSome words.\n"
        let model = OfflinePatchModel(readFile: { $0 == "README.md" ? readme : nil })
        // No path: the seed's smoke mode touches README; the stale snippet is ignored in favour of the file.
        let reply = try await model.proposePatch(
            PatchPrompt(system: "s", user: "u", snippets: [ContextSnippet(path: "README.md", text: "stale\n")]))
        #expect(reply.diff.contains("+\(OfflinePatchModel.marker)\n"))
        #expect(try applies(reply.diff, to: ["README.md": readme]).succeeded)
    }

    @Test func createsAFileWhenTheContentIsUnknown() async throws {
        let reply = try await OfflinePatchModel().proposePatch(PatchPrompt(system: "s", user: "u", path: "missing.py"))
        #expect(reply.diff.contains("+++ b/\(OfflinePatchModel.fallbackPath)"))
        #expect(try applies(reply.diff, to: ["other.txt": "x\n"]).succeeded)
    }
}
