import Foundation
import TestSupport
import Testing

@testable import Sandbox

/// Escape cases: a job that writes until the disk is full. The runner must bound it and say so
/// (`limit hit: disk`), the host's disk must not receive it, and the runner must go on working.
extension SandboxSuites {
    @Suite(.timeLimit(.minutes(2)))
    struct WorkspaceDiskTests {
        /// Eight 10 MiB files (80 MiB, the attack); prints where it stopped.
        static let filler = """
            import errno, sys
            written = 0
            try:
                for index in range(8):
                    with open(f"fill-{index}.bin", "wb") as handle:
                        for _ in range(10):
                            handle.write(b"x" * (1 << 20))
                            written += 1 << 20
            except OSError as error:
                print("stopped", errno.errorcode[error.errno], written)
                sys.exit(1)
            print("wrote", written)
            """

        static let limit = 16 << 20

        @Test(.enabled(if: geteuid() == 0, "a root runner mounts the workspace's tmpfs"))
        func rootRunnersWorkspaceIsATmpfsOfTheDiskLimit() throws {
            let checkout = try makeCheckout(owner: .root)
            defer { try? FileManager.default.removeItem(at: checkout) }
            let result = try Exec.python(
                Self.filler, as: .root,
                options: [
                    "--workspace", checkout.path, "--disk-bytes", "\(Self.limit)", "--keep-changes", "--timeout", "30",
                ])
            let upperLine = result.stderr.split(separator: "\n").first { $0.hasPrefix("workspace upper layer: ") }
            let upper = try #require(upperLine.map { String($0.dropFirst("workspace upper layer: ".count)) })
            let disk = URL(fileURLWithPath: upper).deletingLastPathComponent()
            let folder = disk.deletingLastPathComponent()
            defer {
                _ = try? run(["umount", "-l", disk.path], check: false)
                _ = try? run(["rm", "-rf", folder.path], check: false)
            }
            #expect(result.limitHit == "disk", "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("stopped ENOSPC"), "\(result.stdout)")
            #expect(
                try run(["stat", "-f", "-c", "%T", upper]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    == "tmpfs")
            let inTmpfs = try #require(UInt64(try run(["du", "-s", "-B1", upper]).stdout.split(separator: "\t")[0]))
            #expect(inTmpfs <= UInt64(Self.limit), "the tmpfs holds \(inTmpfs) bytes")
            #expect(inTmpfs >= UInt64(Self.limit) / 2, "the job did write into the workspace")
            let onHost = bytesOnTheSameFileSystem(folder.path)
            #expect(onHost < 1 << 20, "\(onHost) bytes of the workspace landed on the host's file system")

            // The same checkout again: a fresh workspace, the runner unaffected.
            let next = try Exec.python(
                "open('ok.txt', 'w').write('ok'); print(open('ok.txt').read())", as: .root,
                options: ["--workspace", checkout.path, "--disk-bytes", "\(Self.limit)"])
            #expect(next.status == 0 && next.stdout.contains("ok"), "\(next.stdout)\(next.stderr)")
            #expect(next.limitHit == nil)
            #expect(!FileManager.default.fileExists(atPath: checkout.appendingPathComponent("fill-0.bin").path))
        }

        /// A runner that is not root cannot mount a tmpfs of its own: its bound is the state folder's
        /// size (compose `tmpfs:` with `size`, a Kubernetes `emptyDir` of medium Memory with `sizeLimit`),
        /// mounted here by the test as the deployment would. The job still hits `disk`.
        @Test(.enabled(if: geteuid() == 0, "the test mounts the state folder's tmpfs"))
        func nonRootRunnerIsBoundByItsStateFoldersTmpfs() throws {
            let checkout = try makeCheckout(owner: .unprivileged)
            defer { try? FileManager.default.removeItem(at: checkout) }
            let state = try makeSharedDirectory("sbx-state", owner: .unprivileged)
            try run([
                "mount", "-t", "tmpfs", "-o", "size=\(Self.limit),uid=65534,gid=65534,mode=0700", "tmpfs", state.path,
            ])
            defer {
                _ = try? run(["umount", "-l", state.path], check: false)
                try? FileManager.default.removeItem(at: state)
            }
            var environment = ProcessInfo.processInfo.environment
            environment["TMPDIR"] = state.path
            let result = try Exec.python(
                Self.filler, as: .unprivileged, options: ["--workspace", checkout.path, "--timeout", "30"],
                environment: environment)
            #expect(result.limitHit == "disk", "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("stopped ENOSPC"), "\(result.stdout)")
            #expect(result.stderr.contains("workspace changes on the state folder's file system"))
            let left = try FileManager.default.contentsOfDirectory(atPath: state.path)
            #expect(left.isEmpty, "the workspace was removed: \(left)")

            let next = try Exec.python(
                "open('ok.txt', 'w').write('ok')", as: .unprivileged, options: ["--workspace", checkout.path],
                environment: environment)
            #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        }

        @Test(.enabled(if: geteuid() == 0, "mounts"))
        func sweepDetachesADeadRunnersDiskTmpfsButNoPlantedMount() throws {
            let scratch = try makeTemporaryDirectory("disk-sweep")
            defer { _ = try? run(["rm", "-rf", scratch.path], check: false) }
            let dead = 2_000_000_000  // no process has this pid
            let victim = scratch.appendingPathComponent("victim")
            try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
            try run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", victim.path])
            defer { _ = try? run(["umount", "-l", victim.path], check: false) }
            try "still here\n".write(to: victim.appendingPathComponent("file"), atomically: true, encoding: .utf8)
            let folder = scratch.appendingPathComponent("state")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)

            // A dead runner's workspace with its disk tmpfs still mounted.
            let stale = folder.appendingPathComponent("\(Workspace.namePrefix)\(dead)-stale")
            try FileManager.default.createDirectory(
                at: stale.appendingPathComponent("disk"), withIntermediateDirectories: true)
            try run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", stale.appendingPathComponent("disk").path])
            try "x".write(to: stale.appendingPathComponent("disk/upper-file"), atomically: true, encoding: .utf8)
            // One whose `disk` is a symbolic link to someone else's mount.
            let planted = folder.appendingPathComponent("\(Workspace.namePrefix)\(dead)-planted")
            try FileManager.default.createDirectory(at: planted, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: planted.appendingPathComponent("disk").path, withDestinationPath: victim.path)
            // One whose `disk` is a mount, but not a tmpfs: not provably the runner's.
            let other = scratch.appendingPathComponent("other")
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
            try "mine\n".write(to: other.appendingPathComponent("file"), atomically: true, encoding: .utf8)
            let bound = folder.appendingPathComponent("\(Workspace.namePrefix)\(dead)-bound")
            try FileManager.default.createDirectory(
                at: bound.appendingPathComponent("disk"), withIntermediateDirectories: true)
            try run(["mount", "--bind", other.path, bound.appendingPathComponent("disk").path])
            defer { _ = try? run(["umount", "-l", bound.appendingPathComponent("disk").path], check: false) }

            let removed = Workspace.sweepStale(in: folder).map(\.lastPathComponent).sorted()
            #expect(removed == [stale.lastPathComponent, planted.lastPathComponent].sorted())
            let mounts = MountInfo.mounts()
            #expect(mounts[stale.appendingPathComponent("disk").path] == nil, "the stale tmpfs was detached")
            #expect(mounts[victim.path] == "tmpfs", "the planted link's target is still mounted")
            #expect(mounts[bound.appendingPathComponent("disk").path] != nil, "a bind mount is not detached")
            #expect((try? String(contentsOf: victim.appendingPathComponent("file"), encoding: .utf8)) == "still here\n")
            #expect(FileManager.default.fileExists(atPath: bound.path), "refused to delete across a mount")
            #expect((try? String(contentsOf: other.appendingPathComponent("file"), encoding: .utf8)) == "mine\n")
        }

        @Test(.enabled(if: geteuid() == 0, "a root runner's workspace"))
        func removeLeavesNoMountAndAJobSeesTheDiskLimit() async throws {
            let checkout = try makeCheckout(owner: .root)
            defer { try? FileManager.default.removeItem(at: checkout) }
            let workspace = try Workspace.create(lower: checkout, diskBytes: 64 << 20)
            #expect(workspace.diskBytes == 64 << 20)
            #expect(MountInfo.mounts()[workspace.layers.path] == "tmpfs")
            let sandbox = Sandbox(profile: try SandboxProfile.named("python-selfcheck"))
            // A request lowers the limit for one job (the tmpfs is resized), the next gets the full size.
            let small = try await sandbox.run(
                SandboxJob(
                    command: ["python3", "-c", "import os; s = os.statvfs('.'); print(s.f_blocks * s.f_frsize)"],
                    workspace: workspace, limits: SandboxLimits(diskBytes: 8 << 20)))
            #expect(small.outputText.trimmingCharacters(in: .whitespacesAndNewlines) == "\(8 << 20)")
            let full = try await sandbox.run(
                SandboxJob(
                    command: ["python3", "-c", "import os; s = os.statvfs('.'); print(s.f_blocks * s.f_frsize)"],
                    workspace: workspace))
            #expect(full.outputText.trimmingCharacters(in: .whitespacesAndNewlines) == "\(64 << 20)")
            let path = workspace.layers.path
            try workspace.remove()
            #expect(MountInfo.mounts()[path] == nil)
            #expect(!FileManager.default.fileExists(atPath: workspace.directory.path))
        }
    }
}
