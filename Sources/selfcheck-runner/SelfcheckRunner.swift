import ArgumentParser
import Contracts

@main
struct SelfcheckRunner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selfcheck-runner",
        abstract: "Applies untrusted patches and runs repository code, only inside a hardened sandbox.",
        version: productVersion,
        subcommands: [CheckCommand.self, ServeCommand.self, ExecCommand.self, DoctorCommand.self, VersionCommand.self]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print("selfcheck-runner \(productVersion)") }
}
