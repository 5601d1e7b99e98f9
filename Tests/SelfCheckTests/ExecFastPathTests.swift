import ArgumentParser
import Foundation
import RunnerExec
import TestSupport
import Testing

@testable import selfcheck_runner_full

/// `exec`'s fast path reads exactly what ArgumentParser reads, and leaves everything else to it.
@Suite struct ExecFastPathTests {
    /// ArgumentParser's reading of `arguments`, through the root command as `main` parses it.
    static func parsedByArgumentParser(_ arguments: [String]) -> ExecRequest? {
        (try? SelfcheckRunner.parseAsRoot(arguments) as? ExecCommand)?.request
    }

    @Test(arguments: [
        ["exec", "--", "/bin/true"],
        ["exec", "--", "python3", "-c", "pass"],
        ["exec", "--", "sh", "-c", "echo --report", "--", "--help"],
        [
            "exec", "--profile", "strict", "--workspace", "/tmp/w", "--timeout", "2.5", "--memory-mb", "512",
            "--cpu", "3", "--pids", "64", "--output-bytes", "1000", "--file-size-bytes", "2000", "--disk-bytes",
            "3000", "--env", "A=1", "--env", "B=two=2", "--env", "C=", "--audit", "--report", "--keep-changes",
            "--", "env",
        ],
        ["exec", "--timeout=7", "--env=X=y", "--profile=/etc/p.json", "--report", "--", "true"],
        ["exec", "--memory-mb", "+5", "--timeout", "1e3", "--", "true"],
    ])
    func plainArgumentsReadAsArgumentParserReadsThem(arguments: [String]) throws {
        let fast = try #require(ExecFastPath.parse(arguments))
        #expect(fast == Self.parsedByArgumentParser(arguments))
    }

    /// Help, mistakes and anything unusual go to ArgumentParser, so its messages and exit codes hold.
    @Test(arguments: [
        ["exec", "--help", "--", "true"],
        ["exec", "-h", "--", "true"],
        ["exec", "--"],
        ["exec", "true"],
        ["exec", "--bogus", "--", "true"],
        ["exec", "--timeout", "0", "--", "true"],
        ["exec", "--timeout", "-1", "--", "true"],
        ["exec", "--timeout", "soon", "--", "true"],
        ["exec", "--pids", "4294967296", "--", "true"],
        ["exec", "--memory-mb", "-5", "--", "true"],
        ["exec", "--env", "NOEQUALS", "--", "true"],
        ["exec", "--profile", "--report", "--", "true"],
        ["exec", "--profile", "a", "--profile", "b", "--", "true"],
        ["exec", "--report", "--report", "--", "true"],
        ["exec", "--report=true", "--", "true"],
        ["exec", "--profile=", "--", "true"],
        ["exec", "--profile", "--", "true"],
        ["exec", "positional", "--", "true"],
        ["exec", "-p", "x", "--", "true"],
        ["check", "--", "true"],
        ["--version"],
        [],
    ])
    func anythingElseFallsBackToArgumentParser(arguments: [String]) {
        #expect(ExecFastPath.parse(arguments) == nil)
    }

    /// The real executable: the same mistakes give ArgumentParser's usage errors (64) and help (0).
    @Test func theExecutableStillReportsUsageErrorsAndHelp() throws {
        let runner = Paths.product("selfcheck-runner").path
        for arguments in [["exec", "--bogus", "--", "true"], ["exec", "--timeout", "0", "--", "true"], ["exec"]] {
            let output = try run([runner] + arguments, check: false)
            #expect(output.status == 64, "\(arguments): \(output.status) \(output.stderr)")
            #expect(output.stderr.contains("Error:") || output.stderr.contains("Usage:"), "\(output.stderr)")
        }
        let help = try run([runner, "exec", "--help", "--", "true"], check: false)
        #expect(help.status == 0 && help.stdout.contains("--keep-changes"), "\(help.stdout)")
        let ran = try run(
            [
                runner, "exec", "--env", "GREETING=hello there", "--timeout=20", "--", "sh", "-c",
                "echo $GREETING; exit 3",
            ],
            check: false)
        #expect(ran.status == 3 && ran.stdout == "hello there\n", "\(ran.status) \(ran.stdout) \(ran.stderr)")
        let missing = try run([runner, "exec", "--profile", "no-such-profile", "--", "true"], check: false)
        #expect(missing.status == 125 && missing.stderr.contains("no sandbox profile named"), "\(missing.stderr)")
    }
}
