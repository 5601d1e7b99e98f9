import AsyncHTTPClient
import Foundation
import LLM
import TestSupport
import Testing

/// The HTTP client against a real HTTP/1.1 server on loopback, one scripted server per test.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ChatCompletionsClientTests {
    @Test func successSendsTheSeedRequestAndParsesTheReply() async throws {
        try await withServer([.patch(diff: sampleDiff, reasoning: "adds the import")]) { server in
            let client = ChatCompletionsClient(configuration: testConfiguration(server))
            let reply = try await client.proposePatch(samplePrompt)
            #expect(reply.diff == sampleDiff)
            #expect(reply.reasoning == "adds the import")

            let requests = server.requests
            try #require(requests.count == 1)
            let request = requests[0]
            #expect(request.method == "POST")
            #expect(request.path == "/v1/chat/completions")
            #expect(request.headers["authorization"] == "Bearer \(testAPIKey)")
            #expect(request.headers["content-type"] == "application/json")
            let json = try request.json()
            #expect(json["model"] as? String == "test-model")
            #expect(json["temperature"] as? Double == 0.1)
            #expect((json["response_format"] as? [String: Any])?["type"] as? String == "json_object")
            let messages = try #require(json["messages"] as? [[String: Any]])
            #expect(messages.map { $0["role"] as? String } == ["system", "user"])
            #expect(messages.map { $0["content"] as? String } == [samplePrompt.system, samplePrompt.user])
        }
    }

    @Test func tokenUsageIsReported() async throws {
        try await withServer([.patch(diff: sampleDiff, usage: (prompt: 812, completion: 95))]) { server in
            let reply = try await ChatCompletionsClient(configuration: testConfiguration(server)).proposePatch(
                samplePrompt)
            #expect(reply.usage == TokenUsage(promptTokens: 812, completionTokens: 95, totalTokens: 907))
        }
    }

    @Test func noUsageWhenTheServerGivesNone() async throws {
        try await withServer([.patch(diff: sampleDiff)]) { server in
            let reply = try await ChatCompletionsClient(configuration: testConfiguration(server)).proposePatch(
                samplePrompt)
            #expect(reply.usage == nil)
        }
    }

    @Test func serverErrorIsRetriedThenSucceeds() async throws {
        try await withServer([.error(500, "boom"), .patch(diff: sampleDiff)]) { server in
            let client = ChatCompletionsClient(configuration: testConfiguration(server))
            let completion = try await client.complete(samplePrompt)
            #expect(completion.attempts == 2)
            #expect(server.requests.count == 2)
            // The retry is the same request.
            #expect(server.requests[0].body == server.requests[1].body)
        }
    }

    @Test func rateLimitWaitsForRetryAfter() async throws {
        try await withServer([.error(429, "slow down", headers: [("Retry-After", "1")]), .patch(diff: sampleDiff)]) {
            server in
            let reply = try await ChatCompletionsClient(configuration: testConfiguration(server)).proposePatch(
                samplePrompt)
            #expect(reply.diff == sampleDiff)
            let requests = server.requests
            try #require(requests.count == 2)
            let gap = requests[1].receivedAt - requests[0].receivedAt
            #expect(gap >= .milliseconds(900), "retried after \(gap), Retry-After asked for 1 s")
        }
    }

    @Test func retryAfterIsCappedByTheConfiguredMaximum() async throws {
        try await withServer([.error(503, "busy", headers: [("Retry-After", "3600")]), .patch(diff: sampleDiff)]) {
            server in
            var configuration = testConfiguration(server)
            configuration.maxRetryAfter = .milliseconds(200)
            let reply = try await ChatCompletionsClient(configuration: configuration).proposePatch(samplePrompt)
            #expect(reply.diff == sampleDiff)
            let requests = server.requests
            try #require(requests.count == 2)
            let gap = requests[1].receivedAt - requests[0].receivedAt
            #expect(gap >= .milliseconds(150) && gap < .seconds(20), "waited \(gap) for a Retry-After capped at 200 ms")
        }
    }

    // The timeout tests script a spare prompt reply: on a loaded machine a prompt reply may itself be
    // judged late once, and the test is about the slow one being abandoned, not about exact counts.

    /// A reply late before its headers, and one whose body stalls after them: both abandoned at the
    /// timeout, not awaited, and a retry answers.
    @Test(arguments: ["slow", "stalled"])
    func aLateReplyTimesOutAndIsRetried(_ how: String) async throws {
        var late = ScriptedHTTPServer.Response.patch(diff: "--- \(how)\n")
        if how == "slow" { late.delay = .seconds(20) } else { late.bodyDelay = .seconds(20) }
        try await withServer([late, .patch(diff: sampleDiff), .patch(diff: sampleDiff)]) { server in
            let client = ChatCompletionsClient(
                configuration: testConfiguration(server, timeout: .seconds(1), maxRetries: 3))
            let started = ContinuousClock.now
            let completion = try await client.complete(samplePrompt)
            #expect(try ReplyParser.parse(content: completion.content).diff == sampleDiff)
            #expect(completion.attempts >= 2)
            #expect(server.requests.count == completion.attempts)
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    @Test func staysSlowEndsInATimeoutError() async throws {
        let slow = ScriptedHTTPServer.Response.patch(diff: sampleDiff).withDelay(.seconds(20))
        try await withServer([slow, slow, slow]) { server in
            let client = ChatCompletionsClient(
                configuration: testConfiguration(server, timeout: .milliseconds(700), maxRetries: 2))
            let error = try #require(await expectFailure { try await client.proposePatch(samplePrompt) })
            #expect(error.kind == .timeout)
            #expect(error.isRetriable)
            #expect(error.attempts == 3)
            #expect(server.requests.count == 3)
        }
    }

    @Test func unauthorizedIsAnAuthErrorAndNotRetried() async throws {
        try await withServer([.error(401, "Incorrect API key provided: \(testAPIKey)"), .patch(diff: sampleDiff)]) {
            server in
            let client = ChatCompletionsClient(configuration: testConfiguration(server))
            let error = try #require(await expectFailure { try await client.proposePatch(samplePrompt) })
            #expect(error.kind == .auth)
            #expect(error.status == 401)
            #expect(!error.isRetriable)
            #expect(error.isHardFailure)
            #expect(server.requests.count == 1)
            // The server echoed the key; the error must not.
            #expect(!error.message.contains(testAPIKey))
            #expect(error.message.contains("Incorrect API key"))
        }
    }

    @Test func forbiddenIsAnAuthError() async throws {
        try await withServer([.error(403, "no access to model")]) { server in
            let error = try #require(
                await expectFailure {
                    try await ChatCompletionsClient(configuration: testConfiguration(server)).proposePatch(samplePrompt)
                })
            #expect(error.kind == .auth)
            #expect(server.requests.count == 1)
        }
    }

    @Test func unknownModelIsNotFound() async throws {
        try await withServer([.error(404, "The model `test-model` does not exist")]) { server in
            let error = try #require(
                await expectFailure {
                    try await ChatCompletionsClient(configuration: testConfiguration(server)).proposePatch(samplePrompt)
                })
            #expect(error.kind == .notFound)
            #expect(error.status == 404)
            #expect(error.isHardFailure)
            #expect(error.message.contains("test-model"))
            #expect(server.requests.count == 1)
        }
    }

    @Test func badRequestIsNotRetried() async throws {
        try await withServer([.error(400, "response_format is not supported")]) { server in
            let error = try #require(
                await expectFailure {
                    try await ChatCompletionsClient(configuration: testConfiguration(server)).proposePatch(samplePrompt)
                })
            #expect(error.kind == .badRequest)
            #expect(error.message.contains("response_format is not supported"))
            #expect(server.requests.count == 1)
        }
    }

    @Test func invalidJSONBodyIsABadReply() async throws {
        try await withServer([.init(headers: [("Content-Type", "text/html")], body: "<html>gateway</html>")]) {
            server in
            let error = try #require(
                await expectFailure {
                    try await ChatCompletionsClient(configuration: testConfiguration(server)).proposePatch(samplePrompt)
                })
            #expect(error.kind == .badReply)
            #expect(error.message.contains("invalid JSON"))
            #expect(server.requests.count == 1)
        }
    }

    @Test func contentWithoutDiffIsABadReply() async throws {
        try await withServer([.completion(content: #"{"patch": "--- a/x"}"#)]) { server in
            let error = try #require(
                await expectFailure {
                    try await ChatCompletionsClient(configuration: testConfiguration(server)).proposePatch(samplePrompt)
                })
            #expect(error.kind == .badReply)
            #expect(error.message.contains("\"diff\""))
            #expect(error.message.contains("patch"))
            #expect(!error.isRetriable)
        }
    }

    @Test func noChoicesIsABadReply() async throws {
        try await withServer([.init(body: #"{"id":"x","choices":[]}"#)]) { server in
            let error = try #require(
                await expectFailure {
                    try await ChatCompletionsClient(configuration: testConfiguration(server)).proposePatch(samplePrompt)
                })
            #expect(error.kind == .badReply)
            #expect(error.message.contains("no choices"))
        }
    }

    @Test func retriesExhaustedReturnTheLastError() async throws {
        try await withServer([.error(500, "first"), .error(502, "second"), .error(503, "third")]) { server in
            let client = ChatCompletionsClient(configuration: testConfiguration(server, maxRetries: 2))
            let error = try #require(await expectFailure { try await client.proposePatch(samplePrompt) })
            #expect(error.kind == .server)
            #expect(error.status == 503)
            #expect(error.message.contains("third"))
            #expect(error.attempts == 3)
            #expect(server.requests.count == 3)
        }
    }

    @Test func cancellingTheCallerStopsTheRequest() async throws {
        try await withServer([.patch(diff: sampleDiff).withDelay(.seconds(40))]) { server in
            let client = ChatCompletionsClient(configuration: testConfiguration(server))
            let task = Task { await expectFailure { try await client.proposePatch(samplePrompt) } }
            for _ in 0..<1000 where server.requests.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
            }
            try #require(server.requests.count == 1)
            let cancelledAt = ContinuousClock.now
            task.cancel()
            let error = try #require(await task.value)
            #expect(error.kind == .cancelled)
            #expect(!error.isRetriable)
            // Far sooner than the 40 s the server would take, or the 30 s timeout.
            #expect(ContinuousClock.now - cancelledAt < .seconds(10))
            #expect(server.requests.count == 1)
        }
    }

    @Test func connectionRefusedIsATransportError() async throws {
        // A port that was just free: start a server, note its port, stop it.
        let server = try await ScriptedHTTPServer.start([])
        let configuration = testConfiguration(server, maxRetries: 1)
        await server.shutdown()
        // AsyncHTTPClient retries a refused connection until its connect timeout; keep that short here.
        let httpClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: .init(timeout: .init(connect: .milliseconds(300))))
        let error = await expectFailure {
            try await ChatCompletionsClient(configuration: configuration, httpClient: httpClient).proposePatch(
                samplePrompt)
        }
        try await httpClient.shutdown()
        let failure = try #require(error)
        #expect(failure.kind == .transport, "\(failure)")
        #expect(failure.isRetriable)
        #expect(failure.attempts == 2)
        #expect(failure.status == nil)
    }
}

extension ScriptedHTTPServer.Response {
    func withDelay(_ delay: Duration) -> Self {
        var copy = self
        copy.delay = delay
        return copy
    }
}
