import Foundation
import Testing

/// The compose runner gets Docker's default seccomp profile plus only what building a sandbox needs
/// (not `seccomp=unconfined`), and memory and pids limits for the whole container.
@Suite struct RunnerContainerLimitsTests {
    /// What the runner adds to Docker's default: creating namespaces, its jobs' mounts and hostname.
    static let sandboxCalls: Set<String> = [
        "clone", "unshare", "mount", "umount2", "pivot_root", "mount_setattr", "open_tree", "move_mount", "sethostname",
    ]

    func runnerService() throws -> YAMLNode {
        let compose = try ComposeFile()
        let runner = try #require(compose.containers.first { $0.role == .runner })
        return try #require(compose.services[runner.name])
    }

    @Test func runnerHasMemoryAndPidsLimits() throws {
        let service = try runnerService()
        let memory = try #require(service["mem_limit"].string, "the runner sets no mem_limit")
        #expect(service["memswap_limit"].string == memory, "swap must not stretch the memory limit")
        let pids = try #require(service["pids_limit"].string.flatMap { Int($0) }, "the runner sets no pids_limit")
        #expect(pids > 0 && pids <= 4096)
    }

    @Test func runnerSeccompProfileIsDockersDefaultPlusTheSandboxCalls() throws {
        let options = try runnerService()["security_opt"].strings
        let seccomp = try #require(options.first { $0.hasPrefix("seccomp=") }, "no seccomp option")
        #expect(seccomp != "seccomp=unconfined")
        let file = "deploy/" + seccomp.dropFirst("seccomp=".count).replacingOccurrences(of: "./", with: "")
        let profile = try JSONSerialization.jsonObject(with: Data(contentsOf: DeployFiles.url(file))) as? [String: Any]
        #expect(profile?["defaultAction"] as? String == "SCMP_ACT_ERRNO")
        let rules = profile?["syscalls"] as? [[String: Any]] ?? []
        // Unconditional allows: Docker's list (the first rule) and ours, nothing else.
        let unconditional = rules.filter {
            $0["action"] as? String == "SCMP_ACT_ALLOW" && $0["args"] == nil && $0["includes"] == nil
        }
        let added = unconditional.dropFirst().flatMap { $0["names"] as? [String] ?? [] }
        #expect(Set(added) == Self.sandboxCalls, "\(added)")
        let dockers = Set(unconditional.first?["names"] as? [String] ?? [])
        #expect(dockers.count > 300, "the first rule should be Docker's default allowlist")
        for name in [
            "keyctl", "bpf", "setns", "kexec_load", "init_module", "userfaultfd", "perf_event_open",
            "open_by_handle_at",
        ] {
            #expect(!dockers.contains(name) && !Self.sandboxCalls.contains(name), "\(name) is allowed unconditionally")
        }
    }
}
