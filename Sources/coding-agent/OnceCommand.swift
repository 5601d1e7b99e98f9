import AgentCore
import AgentServices
import ArgumentParser
import Contracts
import Foundation
import Logging
import Telemetry

/// `coding-agent once --task FILE.json`: the tasks of one file, without Kafka; results printed as JSON.
struct OnceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "once",
        abstract: "Process the tasks of one file without Kafka and print each CommitResult as JSON (exit 1 unless all succeed).")

    @Option(help: "A TaskBundle or a single CodingTask in protobuf JSON.") var task: String
    @OptionGroup var agent: AgentOptions
    @Option(help: "Log level (env LOG_LEVEL).") var logLevel: String = Environment.values["LOG_LEVEL"] ?? "info"
    @Option(help: "Log lines as human (for a terminal) or json (one object per line) (env LOG_FORMAT).")
    var logFormat: LogFormat = .fromEnvironment

    func run() async throws {
        LogSetup.bootstrapOnce(level: .init(rawValue: logLevel) ?? .info, format: logFormat, metadataProvider: TaskLogContext.metadataProvider)
        let logger = Logger(label: "coding-agent")
        let bundle: TaskBundle
        do { bundle = try TaskFile.load(contentsOf: URL(fileURLWithPath: task)) } catch {
            printError("\(task): \(error)")
            throw ExitCode(65)
        }
        let services = try agent.makeServices(logger: logger)
        let processor = try agent.makeProcessor(services: services, logger: logger)
        var allSucceeded = true
        for task in bundle.tasks {
            let result = await processor.process(task)
            allSucceeded = allSucceeded && result.status == CommitStatus.success.rawValue
            print(try result.protoNamedJSON())
        }
        await services.shutdown()
        if !allSucceeded { throw ExitCode(1) }
    }
}
