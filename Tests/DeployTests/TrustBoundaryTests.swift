import Foundation
import TestSupport
import Testing

/// The trust boundary as a module boundary (issue #18): Package.swift puts every target on the agent's
/// side, the runner's side, the shared side or with the development tools; a side uses only itself and
/// the shared targets, and each executable links nothing of the other side.
@Suite struct TrustBoundaryTests {
    /// Packages only the agent may link: gRPC and the HTTP client.
    static let agentOnlyPackages: Set<String> = [
        "grpc-swift-2", "grpc-swift-protobuf", "grpc-swift-nio-transport", "async-http-client",
    ]

    @Test func packageSwiftGroupsEveryTargetOnce() throws {
        let sides = try PackageSides()
        #expect(
            sides.manifest.contains("targets: sharedTargets + agentTargets + runnerTargets + developmentTargets"),
            "Package.swift's targets are not exactly the four groups")
        let grouped = sides.targets.values.flatMap { $0 }
        let duplicates = Dictionary(grouping: grouped, by: { $0 }).filter { $0.value.count > 1 }.keys
        #expect(duplicates.isEmpty, "in more than one group: \(duplicates.sorted())")
        for folder in ["Sources", "Tests"] {
            let modules = try FileManager.default.contentsOfDirectory(atPath: DeployFiles.url(folder).path)
            for module in modules {
                #expect(sides.side(of: module) != nil, "\(folder)/\(module) is in none of Package.swift's groups")
            }
        }
        #expect(sides.side(of: "coding-agent") == .agent)
        #expect(sides.side(of: "selfcheck-runner") == .runner)
        #expect(sides.side(of: "selfcheck-runner-full") == .runner)
        #expect(sides.side(of: "Contracts") == .shared)
    }

    @Test func eachSideDependsOnlyOnItselfAndTheSharedTargets() throws {
        let sides = try PackageSides()
        let graph = try PackageGraph.shared.get()
        let allowed: [PackageSides.Side: Set<PackageSides.Side>] = [
            .shared: [.shared], .agent: [.agent, .shared], .runner: [.runner, .shared],
            .development: Set(PackageSides.Side.allCases),
        ]
        #expect(graph.targetDependencies.count == sides.targets.values.map(\.count).reduce(0, +))
        for (target, dependencies) in graph.targetDependencies.sorted(by: { $0.key < $1.key }) {
            guard let side = sides.side(of: target) else {
                Issue.record("\(target) is in none of Package.swift's groups")
                continue
            }
            for dependency in dependencies {
                let dependencySide = sides.side(of: dependency)
                #expect(
                    dependencySide.map { allowed[side, default: []].contains($0) } == true,
                    "\(target) (\(side)) depends on \(dependency) (\(dependencySide.map(\.rawValue) ?? "no group"))")
            }
        }
    }

    @Test(arguments: ["selfcheck-runner", "selfcheck-runner-full"])
    func theRunnerLinksNoGRPCHTTPClientOrKafka(executable: String) throws {
        let sides = try PackageSides()
        let graph = try PackageGraph.shared.get()
        let runnerTargets = graph.targetClosure(of: executable)
        let runnerPackages = try graph.packageClosure(of: executable)
        #expect(
            runnerTargets.isDisjoint(with: sides.names(.agent)), "\(runnerTargets.intersection(sides.names(.agent)))")
        #expect(!runnerTargets.contains("Kafka") && !runnerTargets.contains("CRdKafka"))
        #expect(
            runnerPackages.isDisjoint(with: Self.agentOnlyPackages),
            "\(runnerPackages.intersection(Self.agentOnlyPackages))")
        // The same walk finds them from the agent, so it is not blind to them.
        let agentTargets = graph.targetClosure(of: "coding-agent")
        #expect(try graph.packageClosure(of: "coding-agent").isSuperset(of: Self.agentOnlyPackages))
        #expect(agentTargets.isSuperset(of: ["Kafka", "CRdKafka", "AgentContracts", "RunnerProtocolClient"]))
    }

    @Test func theAgentLinksNoServerOrSandbox() throws {
        let sides = try PackageSides()
        let agentTargets = try PackageGraph.shared.get().targetClosure(of: "coding-agent")
        #expect(
            agentTargets.isDisjoint(with: sides.names(.runner)), "\(agentTargets.intersection(sides.names(.runner)))")
        #expect(
            sides.names(.runner).isSuperset(of: [
                "Sandbox", "CSandbox", "CSeccomp", "RunnerProtocolServer", "SelfCheck",
            ]))
    }

    /// What `exec` starts is small: the sandbox, its request and log set-up, and swift-log; no SwiftNIO,
    /// ArgumentParser, protobuf or the check pipeline (everything else runs in selfcheck-runner-full).
    @Test func theExecFrontLinksOnlyTheSandbox() throws {
        let graph = try PackageGraph.shared.get()
        let targets = graph.targetClosure(of: "selfcheck-runner")
        #expect(
            targets.subtracting(["selfcheck-runner", "RunnerExec", "Logs", "Sandbox", "CSandbox", "CSeccomp"])
                .isEmpty, "\(targets.sorted())")
        #expect(try graph.packageClosure(of: "selfcheck-runner") == ["swift-log"])
        #expect(graph.targetClosure(of: "selfcheck-runner-full").isSuperset(of: ["SelfCheck", "RunnerProtocolServer"]))
    }

    /// The built debug executables: Swift's mangled symbols name their module (`8GRPCCore`), C
    /// functions their own name. Each name must be in its own side's executable, so a renamed module
    /// fails here rather than passing unseen.
    @Test func theBuiltExecutablesCarryOnlyTheirSide() throws {
        let agentOnly = [
            "8GRPCCore", "15AsyncHTTPClient", "14AgentContracts", "20RunnerProtocolClient", "rd_kafka_new",
        ]
        let runnerOnly = ["20RunnerProtocolServer", "9SelfCheck", "7Sandbox", "csb_spawn", "seccomp_init"]
        let runner = try names(agentOnly + runnerOnly, foundIn: Paths.product("selfcheck-runner-full"))
        let front = try names(agentOnly + runnerOnly, foundIn: Paths.product("selfcheck-runner"))
        let agent = try names(agentOnly + runnerOnly, foundIn: Paths.product("coding-agent"))
        for name in agentOnly {
            #expect(agent.contains(name), "coding-agent has no \(name)")
            #expect(!runner.contains(name), "selfcheck-runner-full links \(name)")
            #expect(!front.contains(name), "selfcheck-runner links \(name)")
        }
        for name in runnerOnly {
            #expect(runner.contains(name), "selfcheck-runner-full has no \(name)")
            #expect(!agent.contains(name), "coding-agent links \(name)")
        }
        #expect(front.isSuperset(of: ["7Sandbox", "csb_spawn", "seccomp_init"]), "\(front)")
        #expect(front.isDisjoint(with: ["20RunnerProtocolServer", "9SelfCheck"]), "\(front)")
    }

    /// The debug build links Swift's libraries dynamically, so the libraries `exec`'s executable needs
    /// show what it carries: FoundationEssentials at most, never Foundation with ICU.
    @Test func theExecFrontNeedsNoFoundationLibrary() throws {
        let needed = try run(["readelf", "-d", Paths.product("selfcheck-runner").path]).stdout
        #expect(needed.contains("(NEEDED)"), "\(needed)")
        for library in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
            // An incremental build keeps the link libraries of objects it did not recompile: after a module
            // dropped Foundation, `touch` its sources once if this fails only locally.
            #expect(!needed.contains("[\(library)]"), "selfcheck-runner needs \(library)")
        }
        let full = try run(["readelf", "-d", Paths.product("selfcheck-runner-full").path]).stdout
        #expect(full.contains("[libFoundation.so]"), "the check is blind: selfcheck-runner-full needs no Foundation")
    }
}

/// Which of `names` occur in an executable's bytes (grep reads a 150 MB debug build in well under a second).
private func names(_ names: [String], foundIn executable: URL) throws -> Set<String> {
    let output = try run(["grep", "-a", "-o", "-F"] + names.flatMap { ["-e", $0] } + [executable.path], check: false)
    #expect(output.status <= 1, "grep: \(output.stderr)")
    return Set(output.stdout.split(separator: "\n").map(String.init))
}
