import ArgumentParser
import Contracts
import Foundation
import RunnerExec

@main
struct SelfcheckRunner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selfcheck-runner",
        abstract: "Applies untrusted patches and runs repository code, only inside a hardened sandbox.",
        version: productVersion,
        subcommands: [CheckCommand.self, ServeCommand.self, ExecCommand.self, DoctorCommand.self, VersionCommand.self]
    )

    /// `exec` with plain arguments skips ArgumentParser (`ExecFastPath`), as in `selfcheck-runner` itself;
    /// everything else parses as before.
    static func main() async {
        if let request = ExecFastPath.parse(Array(CommandLine.arguments.dropFirst())) {
            Foundation.exit(request.run())
        }
        await main(nil)
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print("selfcheck-runner \(productVersion)") }
}
