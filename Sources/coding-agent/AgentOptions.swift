import AgentCore
import AgentServices
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
    @Option(help: "RagService at host:port (env RAG_ADDR); unset: the file at the task's path, read from the checkout.")
    var ragAddr: String?
    @Option(help: "SymbolReservation (SRM) at host:port (env SRM_ADDR); unset: leases are noted as not claimed.")
    var srmAddr: String?

    /// The gRPC clients for the addresses given; the caller shuts them down when done.
    func makeServices(logger: Logger) throws -> ServiceClients {
        func address(_ flag: String?, _ flagName: String, _ variable: String) throws -> ServiceAddress? {
            guard let text = flag ?? Environment.values[variable], !text.isEmpty else { return nil }
            do { return try ServiceAddress(parsing: text) } catch {
                throw ValidationError("\(flag == nil ? variable : "--" + flagName): \(error)")
            }
        }
        let services = try ServiceClients(
            ragAddress: try address(ragAddr, "rag-addr", "RAG_ADDR"),
            srmAddress: try address(srmAddr, "srm-addr", "SRM_ADDR"), logger: logger)
        logger.info(
            "services",
            metadata: [
                "rag": "\(services.rag.map { "\($0.address)" } ?? "none: the task's file from the checkout")",
                "srm": "\(services.srm.map { "\($0.address)" } ?? "none: leases not claimed")",
            ])
        return services
    }

    /// The task pipeline: context and claims through `services`, the model from the environment
    /// (OPENAI_*, MOCK_LLM=1 or LLM_SCRIPT — never a silent fallback), git with push credentials from
    /// GIT_PUSH_USERNAME / GIT_PUSH_TOKEN for the remote's host only (and GIT_PUSH_ALLOWED_REMOTES').
    func makeProcessor(services: ServiceClients, logger: Logger) throws -> TaskProcessor {
        let model: any PatchModel
        do { model = try PatchModelFactory.make(logger: logger) } catch {
            throw ValidationError("model: \(error.message)")
        }
        let cache = URL(fileURLWithPath: cacheDir)
        let checkouts = cache.appendingPathComponent("checkouts")
        TaskCheckout.sweep(root: checkouts)  // spare checkouts are kept: each is reset when taken
        MirrorCache.sweep(directory: cache.appendingPathComponent("mirrors"))
        let remote = remoteRepo ?? Environment.values["REMOTE_REPO"]
        var environment = Environment.values
        if let remote { environment["REMOTE_REPO"] = remote }  // --remote-repo scopes the credentials too
        let git = try GitRunner(
            home: cache.appendingPathComponent("git-home"), credentials: .fromEnvironment(environment), logger: logger)
        return TaskProcessor(
            configuration: AgentConfiguration(
                remoteRepo: remote, checkoutRoot: checkouts,
                spareCheckouts: try SpareCheckouts(root: cache.appendingPathComponent("spare-checkouts"))),
            mirrors: MirrorCache(directory: cache.appendingPathComponent("mirrors"), runner: git, logger: logger),
            model: model, checker: SocketPatchChecker(socketPath: runnerSocket, logger: logger),
            context: services.context, claimer: services.claimer,
            logger: logger)
    }
}
