import AgentContracts
import Foundation
import Testing

/// deploy/k8s/ against README's configuration table, the code and the design.
struct KubernetesTests {
    @Test func aJobPerTaskWithTheRunnerAsASidecar() throws {
        let manifests = try KubernetesManifests()
        let pods = manifests.pods
        try #require(!pods.isEmpty, "deploy/k8s has no Job")
        for pod in pods {
            #expect(
                pod.spec["restartPolicy"].string == "Never", "\(pod.origin): a task's pod must not restart in place")
            let sidecar = pod.spec["initContainers"].list.first {
                $0["image"].string?.hasPrefix("selfcheck-runner") == true
            }
            #expect(
                sidecar?["restartPolicy"].string == "Always",
                "\(pod.origin): the runner must be a native sidecar (init container, restartPolicy Always)")
            #expect(
                sidecar?["startupProbe"].isMissing == false,
                "\(pod.origin): the runner needs a startup probe so the agent starts after the socket exists")
            let agent = pod.spec["containers"].list.first { $0["image"].string?.hasPrefix("coding-agent") == true }
            let arguments = (agent?["command"].strings ?? []) + (agent?["args"].strings ?? [])
            #expect(arguments.first == "once", "\(pod.origin): the agent processes its one task (coding-agent once)")
            #expect(
                arguments.contains("--publish"),
                "\(pod.origin): the agent publishes its result to the result topic (once --publish)")
        }
    }

    /// `once` exits 1 for a task whose result is out (final) and 75 for a result not published.
    @Test func aFailedTaskIsFinalAndAnUnpublishedResultIsRetried() throws {
        let jobs = try KubernetesManifests().objects(kind: "Job")
        try #require(!jobs.isEmpty, "deploy/k8s has no Job")
        for job in jobs {
            let name = job["metadata"]["name"].string ?? "?"
            let rules = job["spec"]["podFailurePolicy"]["rules"].list
            let final = rules.first { $0["action"].string == "FailJob" }?["onExitCodes"]
            #expect(
                final?["containerName"].string == "coding-agent" && final?["operator"].string == "In"
                    && final?["values"].strings == ["1"],
                "Job \(name): exit 1 of coding-agent (result out, task failed) must fail the Job, not redo the task")
            #expect(
                !rules.contains {
                    $0["onExitCodes"]["values"].strings.contains("75") && $0["action"].string != "Count"
                },
                "Job \(name): exit 75 (result not published) must be retried")
            #expect(
                (job["spec"]["backoffLimit"].string.flatMap { Int($0) } ?? 6) >= 1,
                "Job \(name): no retry for an unpublished result")
        }
    }

    @Test func theExampleTaskIsAValidCodingTask() throws {
        let manifests = try KubernetesManifests()
        for pod in manifests.pods {
            let agent = try #require(pod.containers.first { $0.role == .agent })
            let taskPath = try #require(agent.option("--task"), "\(pod.origin): the agent has no --task")
            let mount = try #require(
                agent.mounts.first { taskPath.hasPrefix($0.target + "/") }, "\(pod.origin): \(taskPath) is on no volume"
            )
            let volume = pod.spec["volumes"].list.first { $0["name"].string == mount.volume }
            let configMap = try #require(
                volume?["configMap"]["name"].string, "\(pod.origin): the task volume is not a ConfigMap")
            let file = String(taskPath.dropFirst(mount.target.count + 1))
            let json = try #require(
                manifests.data(of: "ConfigMap", named: configMap)?[file], "ConfigMap \(configMap) has no \(file)")
            let bundle = try TaskFile.decode(Data(json.utf8))
            #expect(bundle.tasks.count == 1, "one Job, one task")
        }
    }

    @Test func setsOnlyVariablesTheCodeReads() throws {
        let manifests = try KubernetesManifests()
        let table = try ConfigurationTable()
        let scan = try SourceScan()
        for pod in manifests.pods {
            #expect(
                Set(pod.containers.map(\.role)) == [.agent, .runner], "\(pod.origin) must hold the agent and the runner"
            )
            for container in pod.containers { SharedChecks.environmentIsKnown(container, table: table, scan: scan) }
        }
    }

    @Test func portsAreTheDefaults() throws {
        let manifests = try KubernetesManifests()
        for pod in manifests.pods {
            let agent = try #require(pod.containers.first { $0.role == .agent })
            // `once` serves no metrics (its result goes to Kafka): no port, setting or scrape annotation says otherwise.
            #expect(agent.environment["METRICS_PORT"] == nil, "\(agent.origin): once reads no METRICS_PORT")
            #expect(agent.ports.isEmpty, "\(agent.origin) declares a port, but once serves none")
            #expect(
                SharedChecks.port(of: agent.environment["RAG_ADDR"]) == 9100,
                "\(agent.origin): RAG_ADDR's port is not 9100")
            #expect(
                SharedChecks.port(of: agent.environment["SRM_ADDR"]) == 9090,
                "\(agent.origin): SRM_ADDR's port is not 9090")
        }
    }

    @Test func noScrapeAnnotationForAPodThatServesNoMetrics() throws {
        for job in try KubernetesManifests().objects(kind: "Job") {
            let annotations = job["spec"]["template"]["metadata"]["annotations"].map
            #expect(!annotations.keys.contains { $0.hasPrefix("prometheus.io/") }, "\(annotations.keys)")
        }
    }

    @Test func agentReachesTheRunnerThroughSharedVolumes() throws {
        for pod in try KubernetesManifests().pods {
            try SharedChecks.agentReachesTheRunner(pod.containers, where: pod.origin)
        }
    }

    @Test func nothingIsPrivileged() throws {
        let manifests = try KubernetesManifests()
        let uid = try SharedChecks.imageUID()
        for pod in manifests.pods {
            #expect(
                pod.spec["hostNetwork"].bool != true && pod.spec["hostPID"].bool != true
                    && pod.spec["hostIPC"].bool != true,
                "\(pod.origin) shares a host namespace")
            #expect(pod.spec["securityContext"]["runAsNonRoot"].bool == true, "\(pod.origin) must set runAsNonRoot")
            #expect(
                pod.spec["automountServiceAccountToken"].bool == false, "\(pod.origin) needs no Kubernetes API token")
            SharedChecks.leastPrivilege(pod.containers, uid: uid)
            for container in pod.spec["initContainers"].list + pod.spec["containers"].list {
                let name = container["name"].string ?? "?"
                let security = container["securityContext"]
                #expect(
                    security["allowPrivilegeEscalation"].bool == false,
                    "\(pod.origin) \(name) must set allowPrivilegeEscalation: false")
                let isRunner = container["image"].string?.hasPrefix("selfcheck-runner") == true
                // The runner's relaxations are documented; the agent keeps the runtime's defaults.
                #expect(
                    security["seccompProfile"]["type"].string == (isRunner ? "Unconfined" : "RuntimeDefault"),
                    "\(pod.origin) \(name): seccompProfile")
                if security["procMount"].string == "Unmasked" {
                    #expect(isRunner, "\(pod.origin) \(name): only the runner needs an unmasked /proc")
                    #expect(
                        pod.spec["hostUsers"].bool == false,
                        "\(pod.origin): an unmasked /proc needs the pod in its own user namespace (hostUsers: false)")
                }
            }
        }
        let documentation = try DeployFiles.text("docs/deploy.md")
        for setting in ["procMount: Unmasked", "hostUsers: false", "seccompProfile", "appArmorProfile"] {
            #expect(documentation.contains(setting), "docs/deploy.md does not explain \(setting)")
        }
    }
}
