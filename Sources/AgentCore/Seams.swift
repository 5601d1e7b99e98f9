import AgentContracts
import Contracts
import Foundation
import LLM
import Logging
import RunnerProtocolClient

/// Where a task's context comes from: RagService over gRPC, or the files the task names in the checkout.
public protocol ContextSource: Sendable {
    func snippets(for task: CodingTask, checkout: URL) async throws -> [ContextSnippet]
}

/// SymbolReservation.Claim.
public protocol LeaseClaimer: Sendable {
    func claim(leaseID: Int64, commitSHA: String) async throws -> ClaimReply
}

/// The self-check runner; the agent never runs repository code itself.
public protocol PatchChecker: Sendable {
    func check(_ request: CheckRequest) async throws -> CheckReport
}

/// The runner over its Unix socket; its streamed progress goes to `logger` (`CheckProgressLog`).
public struct SocketPatchChecker: PatchChecker {
    let client: RunnerClient
    let progress: CheckProgressLog?

    /// - Parameter logger: where the runner's progress is logged; nil: not logged.
    public init(socketPath: String, logger: Logger? = nil) {
        client = RunnerClient(socketPath: socketPath)
        progress = logger.map { CheckProgressLog(logger: $0) }
    }

    /// The checkout goes as a directory fd as well as by path: a runner serving other users only checks
    /// what its peer could open itself (see the runner's `RepositoryAccess`).
    public func check(_ request: CheckRequest) async throws -> CheckReport {
        let directory = open(request.repoPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        let updates = directory >= 0 ? client.check(request, workspaceDirectory: directory) : client.check(request)
        if directory >= 0 { close(directory) }  // the client keeps its own duplicate
        for try await update in updates {
            switch update {
            case .report(let report): return report
            case .event(let event): progress?.record(event)
            }
        }
        throw RunnerUnavailable(message: "the runner closed the connection without a report")
    }
}

public struct RunnerUnavailable: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Without a RAG service: the file at `task.path` read from the checkout (the seed's fallback).
public struct CheckoutFiles: ContextSource {
    public var maxFileBytes = 64 * 1024
    public init() {}

    public func snippets(for task: CodingTask, checkout: URL) async throws -> [ContextSnippet] {
        guard !task.path.isEmpty, !task.path.hasPrefix("/"), !task.path.split(separator: "/").contains("..") else {
            return []
        }
        let url = checkout.appendingPathComponent(task.path)
        // Never follow a symlink out of the checkout.
        guard url.resolvingSymlinksInPath().path.hasPrefix(checkout.resolvingSymlinksInPath().path + "/"),
            let handle = FileHandle(forReadingAtPath: url.path)
        else { return [] }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: maxFileBytes) ?? Data()
        return [ContextSnippet(path: task.path, text: String(decoding: data, as: UTF8.self))]
    }
}
