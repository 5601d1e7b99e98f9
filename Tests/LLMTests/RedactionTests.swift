import Foundation
import LLM
import Testing

/// The key must not leak through any way of printing the objects that hold it.
@Suite(.timeLimit(.minutes(1)))
struct RedactionTests {
    func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), "\(value)", dumped]
    }

    @Test func configurationAndClientNeverShowTheKey() throws {
        let configuration = try ChatCompletionsConfiguration.fromEnvironment(["OPENAI_API_KEY": testAPIKey])
        let client = ChatCompletionsClient(configuration: configuration)
        for text in renderings(configuration) + renderings(client) + renderings(configuration.apiKey as Any) {
            #expect(!text.contains(testAPIKey), "\(text)")
        }
        #expect(String(describing: configuration).contains("apiKey: <redacted>"))
        #expect(String(describing: client).contains("gpt-4o-mini-code-30k"))
    }

    @Test func credentialsInTheBaseURLAreHiddenToo() throws {
        let configuration = try ChatCompletionsConfiguration.fromEnvironment([
            "OPENAI_BASE_URL": "https://user:\(testAPIKey)@llm.internal/v1"
        ])
        #expect(!String(describing: configuration).contains(testAPIKey))
        #expect(String(describing: configuration).contains("llm.internal"))
    }

    @Test func errorsNeverShowTheKey() async throws {
        // The server echoes the key in its 401 body; the client's error must scrub it.
        try await withServer([.error(401, "bad key \(testAPIKey)")]) { server in
            let client = ChatCompletionsClient(configuration: testConfiguration(server))
            let error = try #require(await expectFailure { try await client.proposePatch(samplePrompt) })
            for text in renderings(error) {
                #expect(!text.contains(testAPIKey), "\(text)")
            }
            #expect(error.message.contains("<redacted>"))
        }
    }
}
