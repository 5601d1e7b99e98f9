import Foundation
import LLM
import TestSupport
import Testing

/// The key the tests send; every redaction test looks for it in output.
let testAPIKey = "sk-test-SECRET-4f2a9c"

/// A configuration aimed at `server`, with short backoff so failure paths run in milliseconds. The default
/// timeout is long on purpose: when the whole suite shares two cores with process-heavy tests, a prompt
/// reply can still be late by seconds, and only the timeout tests should ever see a timeout.
func testConfiguration(_ server: ScriptedHTTPServer, timeout: Duration = .seconds(30), maxRetries: Int = 2)
    -> ChatCompletionsConfiguration
{
    var configuration = ChatCompletionsConfiguration(baseURL: server.baseURL, apiKey: testAPIKey, model: "test-model")
    configuration.requestTimeout = timeout
    configuration.maxRetries = maxRetries
    configuration.backoffBase = .milliseconds(10)
    configuration.backoffCap = .milliseconds(40)
    return configuration
}

/// Runs `body` against a fresh server answering `responses`, and always shuts the server down.
func withServer<T>(
    _ responses: [ScriptedHTTPServer.Response], _ body: (ScriptedHTTPServer) async throws -> T
) async throws -> T {
    let server = try await ScriptedHTTPServer.start(responses)
    do {
        let result = try await body(server)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// The `LLMError` that `body` throws; records an issue when it returns or throws something else.
func expectFailure<T>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
) async -> LLMError? {
    do {
        let value = try await body()
        Issue.record("expected an LLMError, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as LLMError {
        return error
    } catch {
        Issue.record("expected an LLMError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

let samplePrompt = PatchPrompt(
    system: "You are Coding-Agent. Return JSON {diff, reasoning}", user: "TASK GOAL:\nadd greet()")

let sampleDiff = """
    --- a/greet.py
    +++ b/greet.py
    @@ -1 +1,2 @@
     import os
    +import sys

    """
