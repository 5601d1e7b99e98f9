import Foundation
import Sandbox

/// `bench sandbox`: the sandbox against bubblewrap in the same run, workspace set-up against checkout size,
/// and the runner's own peak memory. Prints figures only.
enum SandboxBench {
    static let rounds = 30

    static func run() async throws {
        guard let runner = siblingExecutable("selfcheck-runner") else {
            print("selfcheck-runner not built next to bench: scripts/bench builds it")
            return
        }
        let peak = try spawnMeasuringMemory([runner, "exec", "--", "/bin/true"])
        print(
            "runner peak memory, one exec of /bin/true: \(peak.maxRSSKB) KiB (max RSS of the selfcheck-runner process)")
        Table.memoryRow("`selfcheck-runner exec -- /bin/true`", kilobytes: peak.maxRSSKB)
        ExecutableSizes.report()

        let sandbox = Sandbox(profile: try SandboxProfile.named("python-selfcheck"))
        let bwrap = [
            "bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp",
        ]
        for command in [["/bin/true"], ["python3", "-c", "pass"]] {
            let ours = [runner, "exec", "--"] + command
            let theirs = bwrap + (command[0] == "python3" ? ["/usr/bin/python3", "-c", "pass"] : ["true"])
            var oursMs: [Double] = []
            var theirsMs: [Double] = []
            var inProcessMs: [Double] = []
            for _ in 0..<rounds {  // interleaved, so all see the same machine load
                oursMs.append(try spawnMeasured(ours).milliseconds)
                theirsMs.append(try spawnMeasured(theirs).milliseconds)
                let started = ContinuousClock.now
                _ = try await sandbox.run(SandboxJob(command: command))
                inProcessMs.append(milliseconds(ContinuousClock.now - started))
            }
            print(
                String(
                    format:
                        "exec %@: selfcheck-runner exec median %.1f ms, bwrap median %.1f ms, ratio %.2f (target <= 1.0)",
                    command.joined(separator: " "), median(oursMs), median(theirsMs), median(oursMs) / median(theirsMs))
            )
            print(
                String(
                    format:
                        "    the same job through Sandbox.run in a running runner (no process start-up): median %.1f ms, ratio to bwrap %.2f",
                    median(inProcessMs), median(inProcessMs) / median(theirsMs)))
            let job = command.joined(separator: " ")
            Table.row(
                "`selfcheck-runner exec -- \(job)`", Table.ms(median(oursMs)),
                baseline: "`bwrap --unshare-all …` \(Table.ms(median(theirsMs)))",
                ratio: Table.ratio(median(oursMs) / median(theirsMs)), target: "≤ 1.0x")
            Table.row(
                "`\(job)` through `Sandbox.run` in a running runner", Table.ms(median(inProcessMs)),
                baseline: "bwrap \(Table.ms(median(theirsMs)))",
                ratio: Table.ratio(median(inProcessMs) / median(theirsMs)), target: "≤ 1.0x")
        }

        for files in [100, 10_000, 50_000] {
            let checkout = try makeCheckout(files: files)
            defer { try? FileManager.default.removeItem(at: checkout) }
            var createMs: [Double] = []
            var jobMs: [Double] = []
            var bareMs: [Double] = []
            for _ in 0..<10 {
                let started = ContinuousClock.now
                let workspace = try Workspace.create(lower: checkout)
                createMs.append(milliseconds(ContinuousClock.now - started))
                jobMs.append(
                    milliseconds(
                        try await sandbox.run(SandboxJob(command: ["/bin/true"], workspace: workspace)).wallTime))
                bareMs.append(milliseconds(try await sandbox.run(SandboxJob(command: ["/bin/true"])).wallTime))
                try workspace.remove()
            }
            print(
                String(
                    format:
                        "workspace for %d files: Workspace.create median %.2f ms; overlay mount in the job +%.2f ms (job with workspace %.1f ms, without %.1f ms); target flat, < 20 ms",
                    files, median(createMs), median(jobMs) - median(bareMs), median(jobMs), median(bareMs)))
            Table.row(
                "overlay workspace for \(files.formatted()) files: create + mount in the job",
                String(format: "%.2f + %.2f ms", median(createMs), median(jobMs) - median(bareMs)),
                baseline: "job without workspace \(Table.ms(median(bareMs)))", target: "flat, < 20 ms")
        }
    }

    // MARK: helpers

    struct Measured {
        var milliseconds: Double
        /// Filled by `spawnMeasuringMemory` only (0 otherwise).
        var maxRSSKB = 0
    }

    /// posix_spawn + waitpid: wall time, output discarded.
    static func spawnMeasured(_ argv: [String]) throws -> Measured {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let started = ContinuousClock.now
        let result = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .ENOENT) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let elapsed = milliseconds(ContinuousClock.now - started)
        guard status == 0 else { throw POSIXError(.ECHILD) }
        return Measured(milliseconds: elapsed)
    }

    /// `argv` run through GNU time, which forks it from its own small process, for its peak RSS. What a
    /// parent reads with wait4 after posix_spawn is at least the parent's own RSS (the kernel keeps the
    /// high-water mark of the address space the new program replaced): this bench's ~27 MiB used to show
    /// as the runner's.
    static func spawnMeasuringMemory(_ argv: [String]) throws -> Measured {
        let report = URL(fileURLWithPath: "/tmp/bench-peak-rss-\(getpid())")
        defer { try? FileManager.default.removeItem(at: report) }
        var measured = try spawnMeasured(["/usr/bin/time", "-f", "%M", "-o", report.path] + argv)
        let lines = try String(contentsOf: report, encoding: .utf8).split(separator: "\n")
        guard let kilobytes = lines.last.flatMap({ Int($0) }) else {
            throw POSIXError(.EBADMSG)
        }
        measured.maxRSSKB = kilobytes
        return measured
    }

    static func siblingExecutable(_ name: String) -> String? {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        let path = directory.appendingPathComponent(name).path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// A checkout of `files` small files in folders of 100, under /tmp.
    static func makeCheckout(files: Int) throws -> URL {
        let root = URL(fileURLWithPath: "/tmp/sandbox-bench-\(files)-\(getpid())")
        for index in 0..<files {
            let folder = root.appendingPathComponent("pkg\(index / 100)")
            if index % 100 == 0 {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            }
            try Data("x = \(index)\n".utf8).write(to: folder.appendingPathComponent("m\(index).py"))
        }
        return root
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
