import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP/1.1 server on 127.0.0.1 (ephemeral port) that answers from a queue of scripted responses
/// and records every request it receives. Tests point the client at ``baseURL``.
public final class ScriptedHTTPServer: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)] = [("Content-Type", "application/json")]
        public var body: String
        /// Wait this long before answering (a slow server).
        public var delay: Duration = .zero
        /// Wait this long between the response head and its body (a server that stalls mid-response).
        public var bodyDelay: Duration = .zero

        public init(
            status: Int = 200, headers: [(String, String)] = [("Content-Type", "application/json")], body: String,
            delay: Duration = .zero
        ) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }
    }

    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// Header names lowercased.
        public var headers: [String: String]
        public var body: Data
        /// When the request's last byte arrived.
        public var receivedAt: ContinuousClock.Instant

        /// The body as a JSON object (tests only).
        public func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw ServerError("request body is not a JSON object: \(String(decoding: body, as: UTF8.self))")
            }
            return object
        }
    }

    public struct ServerError: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Computes the answer to a request once the scripted queue is used up.
    public typealias Responder = @Sendable (Request) -> Response

    private struct State {
        var queue: [Response]
        var requests: [Request] = []
        var responder: Responder?
    }

    public let port: Int
    private let state: Mutex<State>
    private let serverChannel: any Channel
    private let runner: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// The API root to give the client: `http://127.0.0.1:<port>/v1`.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// Every request received so far, in arrival order.
    public var requests: [Request] { state.withLock { $0.requests } }

    private init(port: Int, queue: [Response], responder: Responder?, serverChannel: any Channel) {
        self.port = port
        self.state = Mutex(State(queue: queue, responder: responder))
        self.serverChannel = serverChannel
    }

    /// Starts a server that answers requests with `responses` in order; once they are used up it asks
    /// `responder`, and without one answers 500 with a body saying so.
    public static func start(_ responses: [Response], responder: Responder? = nil) async throws -> ScriptedHTTPServer {
        typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        guard let port = listener.channel.localAddress?.port else { throw ServerError("no local port") }
        let server = ScriptedHTTPServer(
            port: port, queue: responses, responder: responder, serverChannel: listener.channel)
        let task = Task {
            await withDiscardingTaskGroup { group in
                try? await listener.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await server.serve(connection) }
                    }
                }
                group.cancelAll()
            }
        }
        server.runner.withLock { $0 = task }
        return server
    }

    /// Closes the listener and every connection, and waits for the handlers to finish.
    public func shutdown() async {
        let task = runner.withLock { $0 }
        task?.cancel()
        try? await serverChannel.close()
        await task?.value
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = Data()
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = Data()
                case .body(let buffer):
                    body.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard let head else { continue }
                    let response = record(head, body)
                    if response.delay > .zero {
                        try await Task.sleep(for: response.delay)
                    }
                    var headers = HTTPHeaders(response.headers)
                    headers.replaceOrAdd(name: "Content-Length", value: String(response.body.utf8.count))
                    let status = HTTPResponseStatus(statusCode: response.status)
                    try await outbound.write(
                        .head(HTTPResponseHead(version: head.version, status: status, headers: headers)))
                    if response.bodyDelay > .zero {
                        try await Task.sleep(for: response.bodyDelay)
                    }
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(string: response.body))))
                    try await outbound.write(.end(nil))
                }
            }
        }
    }

    /// Stores the request and takes the next scripted response.
    private func record(_ head: HTTPRequestHead, _ body: Data) -> Response {
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        let request = Request(
            method: head.method.rawValue, path: head.uri, headers: headers, body: body, receivedAt: .now)
        return state.withLock { state in
            state.requests.append(request)
            guard !state.queue.isEmpty else {
                if let responder = state.responder { return responder(request) }
                return Response(status: 500, body: #"{"error":{"message":"test server: no scripted response left"}}"#)
            }
            return state.queue.removeFirst()
        }
    }
}

public extension ScriptedHTTPServer.Response {
    /// A 200 chat completion whose assistant content is `content`.
    static func completion(content: String, usage: (prompt: Int, completion: Int)? = nil, finishReason: String = "stop")
        -> Self
    {
        var object: [String: Any] = [
            "id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000, "model": "test-model",
            "choices": [
                ["index": 0, "message": ["role": "assistant", "content": content], "finish_reason": finishReason]
            ],
        ]
        if let usage {
            object["usage"] = [
                "prompt_tokens": usage.prompt, "completion_tokens": usage.completion,
                "total_tokens": usage.prompt + usage.completion,
            ]
        }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Self(body: String(decoding: data, as: UTF8.self))
    }

    /// A 200 chat completion carrying the patch reply `{"diff": diff, "reasoning": reasoning}`.
    static func patch(diff: String, reasoning: String = "because", usage: (prompt: Int, completion: Int)? = nil) -> Self
    {
        let data = try! JSONSerialization.data(
            withJSONObject: ["diff": diff, "reasoning": reasoning], options: [.sortedKeys])
        return completion(content: String(decoding: data, as: UTF8.self), usage: usage)
    }

    /// An OpenAI-style error body.
    static func error(_ status: Int, _ message: String, headers: [(String, String)] = []) -> Self {
        Self(
            status: status, headers: [("Content-Type", "application/json")] + headers,
            body: #"{"error":{"message":"\#(message)","type":"test"}}"#)
    }
}
