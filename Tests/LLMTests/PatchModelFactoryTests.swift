import Foundation
import LLM
import TestSupport
import Testing

struct PatchModelFactoryTests {
    @Test func refusesToRunWithoutKeyMockOrScript() {
        do {
            _ = try PatchModelFactory.make(environment: ["CODING_MODEL": "some-model"])
            Issue.record("made a model without a key")
        } catch {
            #expect(error.message.contains("OPENAI_API_KEY"))
            #expect(error.message.contains("MOCK_LLM=1"))
        }
    }

    @Test func anEmptyKeyCountsAsNone() {
        #expect(throws: LLMConfigurationError.self) {
            _ = try PatchModelFactory.make(environment: ["OPENAI_API_KEY": "", "MOCK_LLM": "0"])
        }
    }

    @Test func aKeySelectsTheHTTPClientConfiguredFromTheEnvironment() throws {
        let model = try PatchModelFactory.make(environment: [
            "OPENAI_API_KEY": testAPIKey, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1/", "CODING_MODEL": "local-coder",
            "LLM_TIMEOUT_SECONDS": "30", "LLM_MAX_RETRIES": "1",
        ])
        let client = try #require(model as? ChatCompletionsClient)
        #expect(client.configuration.completionsURL == "http://127.0.0.1:9/v1/chat/completions")
        #expect(client.configuration.model == "local-coder")
        #expect(client.configuration.requestTimeout == .seconds(30))
        #expect(client.configuration.maxRetries == 1)
    }

    @Test func defaultsFollowTheSeed() throws {
        let configuration = try ChatCompletionsConfiguration.fromEnvironment([:])
        #expect(configuration.completionsURL == "https://api.openai.com/v1/chat/completions")
        #expect(configuration.model == "gpt-4o-mini-code-30k")
        #expect(configuration.temperature == 0.1)
        #expect(configuration.jsonMode)
        #expect(configuration.requestTimeout == .seconds(120))
        #expect(configuration.maxRetries == 4)
        #expect(configuration.apiKey == nil)
    }

    @Test func mockSelectsTheOfflineModelEvenWithoutAKey() throws {
        #expect(try PatchModelFactory.make(environment: ["MOCK_LLM": "1"]) is OfflinePatchModel)
    }

    @Test func scriptSelectsTheScriptedModel() throws {
        let folder = try makeTemporaryDirectory("llm-factory")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("s.json")
        try Data(#"[{"diff": "--- a/x\n"}]"#.utf8).write(to: file)
        #expect(
            try PatchModelFactory.make(environment: ["LLM_SCRIPT": file.path, "OPENAI_API_KEY": testAPIKey])
                is ScriptedPatchModel)
    }

    @Test(arguments: [
        ["MOCK_LLM": "1", "LLM_SCRIPT": "/tmp/x.json"],
        ["MOCK_LLM": "maybe"],
        ["LLM_SCRIPT": "/nonexistent/replies.json"],
        ["OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "api.openai.com"],
        ["OPENAI_API_KEY": "k", "LLM_TIMEOUT_SECONDS": "soon"],
        ["OPENAI_API_KEY": "k", "LLM_TIMEOUT_SECONDS": "inf"],
        ["OPENAI_API_KEY": "k", "LLM_MAX_RETRIES": "-1"],
    ])
    func refusesConfusingConfiguration(environment: [String: String]) {
        #expect(throws: LLMConfigurationError.self) {
            _ = try PatchModelFactory.make(environment: environment)
        }
    }
}
