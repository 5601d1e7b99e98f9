import AsyncHTTPClient
import Foundation
import Logging

/// Picks the patch model the environment asks for, and refuses when it asks for none.
///
/// - `LLM_SCRIPT=path`: ``ScriptedPatchModel`` replaying that file;
/// - `MOCK_LLM=1` (or `true`, `yes`): ``OfflinePatchModel``;
/// - otherwise ``ChatCompletionsClient`` configured by ``ChatCompletionsConfiguration/fromEnvironment(_:)``,
///   which needs `OPENAI_API_KEY`.
///
/// There is no silent fallback: a missing key without one of the two offline modes is an error, so a
/// production agent never "succeeds" with mock patches.
public enum PatchModelFactory {
    /// - Parameters:
    ///   - environment: the process environment by default.
    ///   - readFile: given to the offline model so its diff applies to the task's checkout.
    ///   - httpClient: used by the HTTP model.
    ///   - logger: used by the HTTP model.
    /// - Throws: ``LLMConfigurationError`` explaining what to set.
    public static func make(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readFile: (@Sendable (String) -> String?)? = nil,
        httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "coding-agent.llm")
    ) throws(LLMConfigurationError) -> any PatchModel {
        let script = environment["LLM_SCRIPT"].flatMap { $0.isEmpty ? nil : $0 }
        let mock = try mockEnabled(environment["MOCK_LLM"])
        if script != nil && mock {
            throw LLMConfigurationError("both MOCK_LLM and LLM_SCRIPT are set; choose one offline mode")
        }
        if let script {
            return try ScriptedPatchModel(contentsOf: URL(fileURLWithPath: script))
        }
        if mock {
            return OfflinePatchModel(readFile: readFile)
        }
        let configuration = try ChatCompletionsConfiguration.fromEnvironment(environment)
        guard configuration.apiKey != nil else {
            throw LLMConfigurationError(
                "OPENAI_API_KEY is not set. Set it (any value for a local server that needs none), "
                    + "or choose an offline model: MOCK_LLM=1 or LLM_SCRIPT=<replies.json>")
        }
        return ChatCompletionsClient(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    private static func mockEnabled(_ value: String?) throws(LLMConfigurationError) -> Bool {
        switch value?.trimmingCharacters(in: .whitespaces).lowercased() {
        case nil, "", "0", "false", "no": return false
        case "1", "true", "yes": return true
        case let other?: throw LLMConfigurationError("MOCK_LLM must be 1 or 0, not \"\(other)\"")
        }
    }
}
