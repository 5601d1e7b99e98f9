import Testing

/// deploy/docker-compose.yml against README's configuration table, the code and the design.
struct ComposeTests {
    @Test func setsOnlyVariablesTheCodeReads() throws {
        let compose = try ComposeFile()
        let table = try ConfigurationTable()
        let scan = try SourceScan()
        #expect(
            Set(compose.containers.map(\.role)) == [.agent, .runner],
            "docker-compose.yml must build the agent and the runner")
        for container in compose.containers { SharedChecks.environmentIsKnown(container, table: table, scan: scan) }
    }

    @Test func agentSetsTheSeedsVariables() throws {
        let agent = try #require(ComposeFile().containers.first { $0.role == .agent })
        let seed = [
            "KAFKA_BOOTSTRAP", "TASK_TOPIC", "RESULT_TOPIC", "REMOTE_REPO", "CODING_MODEL", "OPENAI_API_KEY",
            "OPENAI_BASE_URL", "RAG_ADDR", "SRM_ADDR", "RUNNER_SOCKET", "METRICS_PORT",
        ]
        for variable in seed { #expect(agent.environment[variable] != nil, "\(agent.origin) does not set \(variable)") }
    }

    @Test func portsAreTheDefaults() throws {
        let compose = try ComposeFile()
        let table = try ConfigurationTable()
        let agent = try #require(compose.containers.first { $0.role == .agent })
        let runner = try #require(compose.containers.first { $0.role == .runner })
        #expect(
            agent.environment["METRICS_PORT"] == table.rows["METRICS_PORT"]?.defaultValue,
            "the agent's METRICS_PORT is not the default")
        #expect(agent.ports.contains(9600), "\(agent.origin) does not expose the metrics port 9600")
        #expect(SharedChecks.port(of: agent.environment["RAG_ADDR"]) == 9100, "RAG_ADDR's port is not 9100")
        #expect(SharedChecks.port(of: agent.environment["SRM_ADDR"]) == 9090, "SRM_ADDR's port is not 9090")
        #expect(
            runner.environment["RUNNER_METRICS_PORT"].flatMap { Int($0) }.map(runner.ports.contains) == true,
            "\(runner.origin) does not expose its RUNNER_METRICS_PORT")
    }

    @Test func kafkaIsOneKRaftNodeServingEveryReplica() throws {
        let compose = try ComposeFile()
        let table = try ConfigurationTable()
        let agent = try #require(compose.containers.first { $0.role == .agent })
        // The agent's bootstrap is the Kafka service's advertised listener on 9092.
        let bootstrap = try #require(agent.environment["KAFKA_BOOTSTRAP"])
        #expect(
            bootstrap == table.rows["KAFKA_BOOTSTRAP"]?.defaultValue, "KAFKA_BOOTSTRAP \(bootstrap) is not the default")
        let host = String(bootstrap.split(separator: ":").first ?? "")
        let kafka = try #require(compose.services[host], "KAFKA_BOOTSTRAP names \(host), which is no service")
        let kafkaEnvironment = ComposeFile.environment(kafka["environment"])
        #expect(
            kafkaEnvironment["KAFKA_PROCESS_ROLES"] == "broker,controller",
            "Kafka must run as a single KRaft node (broker and controller)")
        #expect(
            kafkaEnvironment["KAFKA_ADVERTISED_LISTENERS"]?.contains("//\(bootstrap)") == true,
            "Kafka does not advertise \(bootstrap)")
        #expect(
            kafkaEnvironment["KAFKA_LISTENERS"]?.contains(":\(SharedChecks.port(of: bootstrap) ?? 0)") == true,
            "Kafka does not listen on \(bootstrap)'s port")
        let replicas = compose.services[agent.name]?["deploy"]["replicas"].string.flatMap { Int($0) } ?? 1
        let partitions = kafkaEnvironment["KAFKA_NUM_PARTITIONS"].flatMap { Int($0) } ?? 1
        #expect(
            partitions >= replicas,
            "\(partitions) partitions per topic for \(replicas) agent replicas leaves replicas idle")
    }

    @Test func agentReachesTheRunnerThroughSharedVolumes() throws {
        try SharedChecks.agentReachesTheRunner(ComposeFile().containers, where: ComposeFile.path)
    }

    @Test func nothingIsPrivileged() throws {
        let compose = try ComposeFile()
        for (name, service) in compose.services {
            #expect(service["privileged"].bool != true, "service \(name) is privileged")
            #expect(service["cap_add"].isMissing, "service \(name) adds capabilities")
            #expect(
                service["pid"].string != "host" && service["network_mode"].string != "host",
                "service \(name) shares a host namespace")
        }
        SharedChecks.leastPrivilege(compose.containers, uid: try SharedChecks.imageUID())
        for container in compose.containers {
            let options = Set(compose.services[container.name]?["security_opt"].strings ?? [])
            #expect(options.contains("no-new-privileges:true"), "\(container.origin) must set no-new-privileges:true")
            // The runner gets exactly the documented relaxations; the agent none.
            let relaxed = options.filter { $0.hasSuffix("unconfined") }
            let expected: Set<String> =
                container.role == .runner ? ["apparmor=unconfined", "systempaths=unconfined"] : []
            #expect(
                relaxed == expected,
                "\(container.origin): security_opt relaxations \(relaxed.sorted()), documented \(expected.sorted())")
        }
        let documentation = try DeployFiles.text("docs/deploy.md")
        for option in ["seccomp-runner.json", "apparmor=unconfined", "systempaths=unconfined", "no-new-privileges"] {
            #expect(documentation.contains(option), "docs/deploy.md does not explain \(option)")
        }
    }

    @Test func agentRunsThreeReplicas() throws {
        let compose = try ComposeFile()
        let agents = compose.services.filter {
            $0.value["build"]["dockerfile"].string?.hasSuffix("Dockerfile.agent") == true
        }
        #expect(agents.count == 1)
        for (name, service) in agents {
            #expect(
                service["deploy"]["replicas"].string == "3",
                "service \(name): deploy.replicas is \(service["deploy"]["replicas"].string ?? "unset"), the seed's design says 3"
            )
        }
    }
}
