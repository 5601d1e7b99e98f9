import Testing

/// Checks that hold for every deployment of an agent beside its runner, whether compose or Kubernetes.
enum SharedChecks {
    /// Variables only the agent may hold.
    static let secrets: Set<String> = ["OPENAI_API_KEY", "GIT_PUSH_TOKEN", "GIT_PUSH_USERNAME"]

    /// Every variable a container sets is in README's table for that executable and read by its code.
    static func environmentIsKnown(_ container: DeployedContainer, table: ConfigurationTable, scan: SourceScan) {
        for variable in container.environment.keys.sorted() {
            guard let row = table.rows[variable] else {
                Issue.record("\(container.origin) sets \(variable), which README's configuration table does not list")
                continue
            }
            #expect(
                row.readBy.contains(container.role),
                "\(container.origin) sets \(variable), which README says only the \(row.readBy.map(\.rawValue).sorted()) reads"
            )
            #expect(
                scan.mentions(variable, in: container.role),
                "\(container.origin) sets \(variable), which the \(container.role)'s code never reads")
        }
    }

    /// One agent and one runner; the agent's socket is the runner's, in a volume both mount at the
    /// same place; the agent's checkouts are in a volume the runner mounts at the same place, read-only.
    static func agentReachesTheRunner(_ containers: [DeployedContainer], where origin: String) throws {
        let agents = containers.filter { $0.role == .agent }
        let runners = containers.filter { $0.role == .runner }
        try #require(
            agents.count == 1 && runners.count == 1,
            "\(origin): expected one agent and one runner, found \(agents.count) and \(runners.count)")
        let agent = agents[0]
        let runner = runners[0]

        let agentSocket = try #require(
            agent.option("--runner-socket") ?? agent.environment["RUNNER_SOCKET"],
            "\(agent.origin) sets no RUNNER_SOCKET")
        let runnerSocket = try #require(
            runner.option("--socket") ?? runner.environment["RUNNER_SOCKET"], "\(runner.origin) sets no RUNNER_SOCKET")
        #expect(
            agentSocket == runnerSocket,
            "\(origin): the agent connects to \(agentSocket), the runner serves on \(runnerSocket)")
        let agentMount = agent.mount(holding: agentSocket)
        let runnerMount = runner.mount(holding: runnerSocket)
        #expect(
            agentMount != nil && agentMount?.volume == runnerMount?.volume && agentMount?.target == runnerMount?.target,
            "\(origin): the socket's folder must be one volume mounted at the same place in both (agent \(String(describing: agentMount)), runner \(String(describing: runnerMount)))"
        )
        #expect(runnerMount?.readOnly == false, "\(origin): the runner must be able to create its socket")
        if let mount = runnerMount {
            // The runner makes the socket's folder itself (mode 0750); a volume's root belongs to root.
            #expect(
                runnerSocket.split(separator: "/").count - mount.target.split(separator: "/").count >= 2,
                "\(origin): the socket must sit in a folder below the volume's root, which the runner creates and owns")
        }

        let cacheRoot = try #require(agent.environment["AGENT_CACHE_DIR"], "\(agent.origin) sets no AGENT_CACHE_DIR")
        if let option = agent.option("--cache-dir") {
            #expect(
                option.replacingOccurrences(of: "$$", with: "$").hasPrefix("$AGENT_CACHE_DIR"),
                "\(agent.origin): --cache-dir \(option) is not under AGENT_CACHE_DIR")
        }
        let agentCache = try #require(
            agent.mount(holding: cacheRoot), "\(agent.origin): AGENT_CACHE_DIR \(cacheRoot) is not on a volume")
        #expect(!agentCache.readOnly, "\(agent.origin): the agent's cache must be writable")
        #expect(
            runner.mounts.contains(.init(volume: agentCache.volume, target: agentCache.target, readOnly: true)),
            "\(runner.origin) must mount the agent's checkouts (\(agentCache.volume)) at \(agentCache.target), read-only: the check requests name their paths"
        )
    }

    /// Nothing privileged, no added capabilities, every capability dropped, a non-root uid shared by
    /// agent and runner, no secret in the runner.
    static func leastPrivilege(_ containers: [DeployedContainer], uid: Int) {
        for container in containers {
            #expect(!container.privileged, "\(container.origin) is privileged")
            #expect(
                container.addedCapabilities.isEmpty,
                "\(container.origin) adds capabilities \(container.addedCapabilities)")
            #expect(container.droppedCapabilities.contains("ALL"), "\(container.origin) must drop ALL capabilities")
            #expect(
                container.uid == uid,
                "\(container.origin) runs as uid \(String(describing: container.uid)), the images' user is \(uid)")
        }
        for runner in containers where runner.role == .runner {
            #expect(runner.secretReferences.isEmpty, "\(runner.origin) references secrets \(runner.secretReferences)")
            let leaked = Set(runner.environment.keys).intersection(secrets).union(
                runner.environment.filter { $0.value.hasPrefix("secret:") }.keys)
            #expect(leaked.isEmpty, "\(runner.origin) holds agent secrets \(leaked.sorted())")
        }
    }

    /// The images' non-root uid (ARG APP_UID), the same in both Dockerfiles.
    static func imageUID() throws -> Int {
        let agent = try Dockerfile("deploy/Dockerfile.agent").variables("ARG")["APP_UID"]
        let runner = try Dockerfile("deploy/Dockerfile.runner").variables("ARG")["APP_UID"]
        #expect(
            agent == runner,
            "Dockerfile.agent's APP_UID \(agent ?? "-") differs from Dockerfile.runner's \(runner ?? "-")")
        let uid = try #require(agent.flatMap { Int($0) }, "deploy/Dockerfile.agent has no ARG APP_UID=<number>")
        #expect(uid != 0, "the images must not run as root")
        return uid
    }

    /// Host and port of `host:port`.
    static func port(of address: String?) -> Int? {
        address.flatMap { $0.split(separator: ":").last }.flatMap { Int($0) }
    }
}
