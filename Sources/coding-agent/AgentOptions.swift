import AgentCore
import ArgumentParser
import Foundation
import GitWorkspace
import LLM
import Logging

/// What `once` and `run` share: where the repository, the runner and the caches are, and the model.
struct AgentOptions: ParsableArguments {
    @Option(help: "The remote tasks are written against, unless a task names its repo (env REMOTE_REPO).")
    var remoteRepo: String?
    @Option(help: "The self-check runner's socket (env RUNNER_SOCKET).")
    var runnerSocket: String = Environment.values["RUNNER_SOCKET"] ?? "/run/selfcheck/runner.sock"
    @Option(help: "Mirrors, per-task checkouts and git's private home (env AGENT_CACHE_DIR).")
    var cacheDir: String = Environment.values["AGENT_CACHE_DIR"] ?? (NSHomeDirectory() + "/.cache/coding-agent")

    /// The task pipeline: the model from the environment (OPENAI_*, MOCK_LLM=1 or LLM_SCRIPT — never a
    /// silent fallback), git with push credentials from GIT_PUSH_USERNAME / GIT_PUSH_TOKEN.
    func makeProcessor(logger: Logger) throws -> TaskProcessor {
        let model: any PatchModel
        do { model = try PatchModelFactory.make(logger: logger) } catch {
            throw ValidationError("model: \(error.message)")
        }
        for variable in ["RAG_ADDR", "SRM_ADDR"] where Environment.values[variable] != nil {
            // The gRPC clients are not built yet: say so rather than pretend.
            logger.warning("\(variable) is set but this build has no gRPC client for it yet; RAG falls back to the files the task names, SRM leases are reported as not claimed")
        }
        let cache = URL(fileURLWithPath: cacheDir)
        let checkouts = cache.appendingPathComponent("checkouts")
        TaskCheckout.sweep(root: checkouts)
        MirrorCache.sweep(directory: cache.appendingPathComponent("mirrors"))
        let git = try GitRunner(home: cache.appendingPathComponent("git-home"), logger: logger)
        return TaskProcessor(
            configuration: AgentConfiguration(remoteRepo: remoteRepo ?? Environment.values["REMOTE_REPO"], checkoutRoot: checkouts),
            mirrors: MirrorCache(directory: cache.appendingPathComponent("mirrors"), runner: git, logger: logger),
            model: model, checker: SocketPatchChecker(socketPath: runnerSocket), claimer: nil, logger: logger)
    }
}
