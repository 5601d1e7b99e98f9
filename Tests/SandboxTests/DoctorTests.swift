import Foundation
import TestSupport
import Testing

extension SandboxSuites {
    /// `selfcheck-runner doctor` on this host, as root and as an unprivileged user.
    @Suite(.timeLimit(.minutes(1)))
    struct DoctorTests {
        @Test(arguments: RunnerUser.available)
        func doctorReportsWorkingLayers(user: RunnerUser) throws {
            let output = try TestSupport.run(user.prefix + [Exec.runner(for: user), "doctor"], check: false)
            #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
            for layer in ["user namespaces", "seccomp", "sandbox", "overlayfs in a user namespace"] {
                #expect(output.stdout.contains("OK        \(layer)"), "\(layer): \(output.stdout)")
            }
            // Unprivileged on a cgroup v1 host there is no cgroup to use: the doctor must say so.
            if user == .unprivileged && geteuid() == 0 {
                #expect(output.stdout.contains("DEGRADED  cgroups"), "\(output.stdout)")
            }
            // What bounds the workspace: its own tmpfs as root, else the state folder's file system.
            let disk = output.stdout.split(separator: "\n").first { $0.contains(" disk: ") } ?? ""
            if user == .root {
                #expect(disk.hasPrefix("OK        disk: each workspace's changes live on a tmpfs"), "\(output.stdout)")
            } else {
                #expect(
                    disk.hasPrefix("OK        disk: not root, so no tmpfs per workspace: the state folder")
                        || disk.hasPrefix("DEGRADED  disk: none of its own"), "\(output.stdout)")
            }
        }

        @Test func exec125WhenTheSandboxCannotBeBuilt() throws {
            let directory = try makeSharedDirectory("sbx-profile", owner: .root)
            defer { try? FileManager.default.removeItem(at: directory) }
            var profile =
                try JSONSerialization.jsonObject(
                    with: Data(
                        contentsOf: Paths.packageRoot.appendingPathComponent("sandbox-profiles/python-selfcheck.json")))
                as! [String: Any]
            var mounts = profile["mounts"] as! [[String: Any]]
            mounts.append(["type": "bind", "source": "/no/such/directory"])
            profile["mounts"] = mounts
            let file = directory.appendingPathComponent("broken.json")
            try JSONSerialization.data(withJSONObject: profile).write(to: file)
            let result = try Exec.run(["/bin/true"], as: .root, options: ["--profile", file.path])
            #expect(result.status == 125)
            #expect(result.stderr.contains("sandbox set-up failed at mount plan"), "\(result.stderr)")
        }
    }
}
