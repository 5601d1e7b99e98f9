import AgentContracts
import AgentServices
import Foundation
import GRPCCore
import LLM
import Synchronization
import TestSupport

/// A RagService for tests: answers each blob id it knows with its snippet, records every request's
/// blob ids, and can fail its first calls with `unavailable` or answer late.
final class RecordingRAG: RagService.SimpleServiceProtocol, Sendable {
    private struct State {
        var requests: [[String]] = []
        var failuresLeft: Int
    }
    private let snippets: [String: Snippet]
    private let delay: Duration
    private let state: Mutex<State>

    /// The blob ids of every call, in arrival order.
    var requests: [[String]] { state.withLock { $0.requests } }

    init(_ snippets: [Snippet], failingFirst failures: Int = 0, delay: Duration = .zero) {
        self.snippets = Dictionary(snippets.map { ($0.blobID, $0) }, uniquingKeysWith: { first, _ in first })
        self.delay = delay
        state = Mutex(State(failuresLeft: failures))
    }

    func snippetStream(request: SnippetRequest, response: RPCWriter<Snippet>, context: ServerContext) async throws {
        let fail = state.withLock { state in
            state.requests.append(request.blobIds)
            defer { state.failuresLeft -= 1 }
            return state.failuresLeft > 0
        }
        if fail { throw RPCError(code: .unavailable, message: "scripted outage") }
        if delay > .zero { try await Task.sleep(for: delay) }
        for id in request.blobIds {
            if let snippet = snippets[id] { try await response.write(snippet) }
        }
    }
}

extension Snippet {
    static func make(_ blobID: String, _ path: String, _ text: String) -> Snippet {
        .with {
            $0.blobID = blobID
            $0.path = path
            $0.snippet = text
        }
    }
}

extension ServiceCallPolicy {
    /// Short deadline and backoff, so failure paths take a second at most.
    static func quick(deadline: Duration = .seconds(5)) -> ServiceCallPolicy {
        ServiceCallPolicy(
            deadline: deadline,
            retry: LLM.RetryPolicy(
                maxRetries: 2, backoffBase: .milliseconds(20), backoffCap: .milliseconds(50), maxRetryAfter: .zero))
    }
}

/// An address nothing listens on: a server's, after it stopped.
func deadAddress() async throws -> ServiceAddress {
    let host = try await GRPCServiceHost.start(services: [])
    await host.stop()
    return host.address
}

/// The real chat-completions client aimed at a scripted server, with short backoff.
func chatModel(_ server: ScriptedHTTPServer) -> ChatCompletionsClient {
    var configuration = ChatCompletionsConfiguration(
        baseURL: server.baseURL, apiKey: "sk-agent-test", model: "test-model")
    configuration.requestTimeout = .seconds(60)
    configuration.maxRetries = 2
    configuration.backoffBase = .milliseconds(10)
    configuration.backoffCap = .milliseconds(40)
    return ChatCompletionsClient(configuration: configuration, logger: AgentBed.quiet)
}

extension ScriptedHTTPServer.Request {
    /// The user message of a chat-completions request: the prompt the agent built.
    func userPrompt() throws -> String {
        let messages = try json()["messages"] as? [[String: Any]] ?? []
        return messages.last { $0["role"] as? String == "user" }?["content"] as? String ?? ""
    }
}

extension ScriptedHTTPServer {
    /// The requests whose prompt contains `text` (each test task has its own goal).
    func requests(mentioning text: String) throws -> [Request] {
        try requests.filter { try $0.userPrompt().contains(text) }
    }
}
