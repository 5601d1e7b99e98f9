import ArgumentParser
import Foundation
import Sandbox
import SelfCheck

/// `selfcheck-runner doctor`: which isolation layers work on this host, in words a user can act on.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check which sandbox isolation layers work on this host.",
        discussion: "Exit codes: 0 jobs can run sandboxed, 1 they cannot (the FAIL items say why), 64 usage.")

    @Option(name: .long, help: "Sandbox profile to try.")
    var profile: String = SandboxProfile.defaultName
    @Option(help: "The workspace folder to try (as `check --state-dir`).") var stateDir: String?
    @Option(help: "The runner's cache directory (for the project environments).") var cacheDir: String?
    @Option(help: "Also say which project environment a check of this repository would use.") var repo: String?
    @OptionGroup var environment: EnvironmentOptions

    func run() async throws {
        WorkspaceFolder.configure(stateDir)
        let folder = Result { try WorkspaceFolder.resolve() }
        switch folder {
        case .success(let url): print("OK        workspace folder: \(url.path)")
        case .failure(let error): print("FAIL      workspace folder: \(error)")
        }
        let report = await HostDoctor.check(profileName: profile)
        for check in report.checks {
            print(
                "\(check.state.rawValue.uppercased().padding(toLength: 9, withPad: " ", startingAt: 0)) \(check.name): \(check.detail)"
            )
        }
        let environments = try environment.environments(
            cacheDirectory: RunnerOptions.cacheDirectory(cacheDir), tools: ToolCommands())
        for line in environments.doctorLines(repository: repo.map { URL(fileURLWithPath: $0) }) {
            print("INFO      \(line)")
        }
        print(
            report.canRunJobs
                ? "=> jobs can run sandboxed"
                : "=> jobs cannot run: the sandbox fails closed until the FAIL items are fixed")
        if !report.canRunJobs || (try? folder.get()) == nil { throw ExitCode(1) }
    }
}
