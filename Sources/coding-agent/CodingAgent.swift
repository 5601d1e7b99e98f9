import ArgumentParser
import Contracts

@main
struct CodingAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coding-agent",
        abstract: "Takes coding tasks from Kafka, asks a model for a patch, has the runner check it, pushes it.",
        version: productVersion,
        subcommands: [
            RunCommand.self, OnceCommand.self, DevKafkaCommand.self, DevSRMCommand.self, SubmitCommand.self,
            ResultsCommand.self, VersionCommand.self,
        ]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print("coding-agent \(productVersion)") }
}
