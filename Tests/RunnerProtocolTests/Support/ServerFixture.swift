import Foundation
import Logging
import TestSupport

@testable import RunnerProtocol
@testable import RunnerProtocolClient
@testable import RunnerProtocolServer

/// A `RunnerServer` with a `TestExecutor`, serving on a socket in a fresh temporary directory.
final class ServerFixture: Sendable {
    let directory: URL
    let socketPath: String
    let executor = TestExecutor()
    let server: RunnerServer
    private let task: Task<Void, any Error>

    /// Starts the server and waits until it accepts connections.
    /// - Parameter configure: adjusts the configuration (the socket path defaults to one in `directory`).
    init(_ configure: (inout RunnerServerConfiguration) -> Void = { _ in }) async throws {
        directory = try makeTemporaryDirectory("runner")
        var configuration = RunnerServerConfiguration(
            socketPath: directory.appendingPathComponent("run/runner.sock").path)
        configuration.readTimeout = .seconds(5)
        configuration.shutdownGrace = .milliseconds(200)
        configure(&configuration)
        socketPath = configuration.socketPath
        server = RunnerServer(
            configuration: configuration, executor: executor,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        task = Task { [server] in try await server.run() }
        let path = socketPath
        let ready = await eventually(within: .seconds(10), every: .milliseconds(10)) {
            guard let fd = try? UnixSocket.connect(to: path) else { return false }
            close(fd)
            return true
        }
        if !ready {
            task.cancel()
            try await task.value  // surfaces the server's setup error
            throw FixtureError.notListening
        }
    }

    var client: RunnerClient { RunnerClient(socketPath: socketPath) }

    /// Cancels the server and waits for its graceful shutdown; removes the directory.
    func stop() async throws {
        task.cancel()
        try await task.value
        try? FileManager.default.removeItem(at: directory)
    }

    enum FixtureError: Error { case notListening }
}
