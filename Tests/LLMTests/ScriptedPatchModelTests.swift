import Foundation
import LLM
import TestSupport
import Testing

struct ScriptedPatchModelTests {
    let script = """
        [
          {"diff": "--- a/one\\n", "reasoning": "first"},
          {"error": "server", "message": "scripted outage", "status": 503},
          {"content": "{\\"reasoning\\": \\"forgot the diff\\"}"},
          {"diff": "--- a/two\\n"}
        ]
        """

    @Test func replaysEntriesInOrderThenFailsWhenExhausted() async throws {
        let model = ScriptedPatchModel(entries: try ScriptedPatchModel.parse(Data(script.utf8)))
        let first = try await model.proposePatch(samplePrompt)
        #expect(first == PatchReply(diff: "--- a/one\n", reasoning: "first"))

        let outage = try #require(await expectFailure { try await model.proposePatch(samplePrompt) })
        #expect(outage == LLMError(.server, status: 503, message: "scripted outage"))

        let badReply = try #require(await expectFailure { try await model.proposePatch(samplePrompt) })
        #expect(badReply.kind == .badReply)

        #expect(try await model.proposePatch(samplePrompt).diff == "--- a/two\n")
        #expect(model.remaining == 0)

        let exhausted = try #require(await expectFailure { try await model.proposePatch(samplePrompt) })
        #expect(exhausted.kind == .badRequest)
        #expect(exhausted.message.contains("exhausted"))
        #expect(model.prompts.count == 5)
    }

    @Test func loadsAScriptFile() async throws {
        let folder = try makeTemporaryDirectory("llm-script")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("replies.json")
        try Data(script.utf8).write(to: file)
        let model = try ScriptedPatchModel(contentsOf: file)
        #expect(model.remaining == 4)
        #expect(try await model.proposePatch(samplePrompt).reasoning == "first")
    }

    @Test(arguments: [
        ("{}", "not a JSON array"),
        ("[42]", "entry 1"),
        (#"[{"diff": "x"}, {"error": "teapot"}]"#, "entry 2"),
        (#"[{"reasoning": "only"}]"#, "none of"),
    ])
    func rejectsMalformedScripts(text: String, expected: String) {
        do {
            _ = try ScriptedPatchModel.parse(Data(text.utf8))
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}
