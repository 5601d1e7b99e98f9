import Foundation
import Testing

/// The runner in compose and Kubernetes is not root, so it cannot give each workspace a tmpfs of its
/// own: its `/tmp` (the state folder for workspaces) must itself be a size-limited tmpfs, or a job could
/// fill the node's disk.
@Suite struct RunnerWorkspaceDiskTests {
    @Test func composeRunnersTemporaryFolderIsASizeLimitedTmpfs() throws {
        let compose = try ComposeFile()
        let runner = try #require(compose.containers.first { $0.role == .runner })
        let service = try #require(compose.services[runner.name])
        let entry = try #require(
            service["tmpfs"].strings.first { $0 == "/tmp" || $0.hasPrefix("/tmp:") }, "the runner's /tmp is no tmpfs")
        #expect(entry.contains("size="), "the runner's /tmp tmpfs has no size: \(entry)")
        #expect(!runner.mounts.contains { $0.target == "/tmp" }, "a volume on /tmp would hide the tmpfs")
    }

    @Test func kubernetesRunnersTemporaryFolderIsAMemoryEmptyDirWithASizeLimit() throws {
        let manifests = try KubernetesManifests()
        try #require(!manifests.pods.isEmpty)
        for pod in manifests.pods {
            let runner = try #require(pod.containers.first { $0.role == .runner })
            let mount = try #require(runner.mounts.first { $0.target == "/tmp" }, "\(pod.origin): no volume on /tmp")
            let volume = pod.spec["volumes"].list.first { $0["name"].string == mount.volume }
            #expect(volume?["emptyDir"]["medium"].string == "Memory", "\(pod.origin): /tmp is not a tmpfs")
            #expect(volume?["emptyDir"]["sizeLimit"].string != nil, "\(pod.origin): /tmp has no sizeLimit")
        }
    }
}
