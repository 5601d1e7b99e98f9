import AgentContracts
import AgentCore
import AgentServices
import ArgumentParser
import Contracts
import Foundation
import Kafka
import Logging
import Logs
import Telemetry

/// `coding-agent once --task FILE.json`: the tasks of one file, each result printed as JSON, and with
/// `--publish` also sent to the result topic — how a Kubernetes Job per task reports, as the seed's
/// agent does.
struct OnceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "once",
        abstract:
            "Process the tasks of one file and print each CommitResult as JSON; --publish also sends them to Kafka.",
        discussion: """
            Exit codes: 0 when every task succeeded (and, with --publish, every result was acknowledged), \
            1 when a task did not succeed (its result is final: printed, and published), 75 when a result \
            could not be published (worth running again: a task already pushed is answered from its branch), \
            64 usage (bad options), 65 for an unreadable task file, 70 when the cache folder cannot be prepared.
            """)

    @Option(help: "A TaskBundle or a single CodingTask in protobuf JSON.") var task: String
    @OptionGroup var agent: AgentOptions
    @Flag(help: "Also publish each CommitResult to --result-topic and wait for the broker's acknowledgement.")
    var publish = false
    @Option(help: "Kafka bootstrap servers for --publish (env KAFKA_BOOTSTRAP, default kafka:9092).")
    var bootstrap: String = Environment.kafkaBootstrap
    @Option(help: "Result topic for --publish (env RESULT_TOPIC).") var resultTopic: String = Environment.resultTopic
    @Option(help: "Seconds --publish waits for the broker to acknowledge a result.") var publishTimeout = 30
    @Option(help: "Log level (env LOG_LEVEL).") var logLevel: String = Environment.values["LOG_LEVEL"] ?? "info"
    @Option(help: "Log lines as human (for a terminal) or json (one object per line) (env LOG_FORMAT).")
    var logFormat: LogFormat = .fromEnvironment

    func validate() throws {
        guard publishTimeout >= 1 else { throw ValidationError("--publish-timeout must be at least 1 second") }
        guard !publish || !bootstrap.isEmpty else { throw ValidationError("--bootstrap must not be empty") }
    }

    func run() async throws {
        LogSetup.bootstrapOnce(
            level: .init(rawValue: logLevel) ?? .info, format: logFormat,
            metadataProvider: TaskLogContext.metadataProvider)
        let logger = Logger(label: "coding-agent")
        let bundle: TaskBundle
        do { bundle = try TaskFile.load(contentsOf: URL(fileURLWithPath: task)) } catch {
            printError("\(task): \(error)")
            throw ExitCode(65)
        }
        // Made before any work, so that a bad Kafka setting stops the command before the model is called.
        let producer = try publish ? makeProducer(logger: logger) : nil
        let services = try agent.makeServices(logger: logger)
        let processor: TaskProcessor
        do { processor = try agent.makeProcessor(services: services, logger: logger) } catch let error
            as ValidationError
        {
            throw error
        } catch {
            // Not 1, which says a task's result is final: the cache could not be prepared, no task ran.
            printError("cannot prepare the agent's cache in \(agent.cacheDir): \(error)")
            throw ExitCode(70)
        }
        var allSucceeded = true
        var allPublished = true
        for (index, task) in bundle.tasks.enumerated() {
            let result = await processor.process(task, bundleID: bundle.bundleID, position: index + 1)
            allSucceeded = allSucceeded && result.status == CommitStatus.success.rawValue
            // Printed first: a result that cannot be published is still in the log.
            print(try result.protoNamedJSON())
            guard let producer else { continue }
            do {
                try await producer.publish(result, to: resultTopic)
                logger.info("result published", metadata: ["task_id": "\(result.taskID)", "topic": "\(resultTopic)"])
            } catch {
                allPublished = false
                printError(
                    "task \(result.taskID): the result was not published to \(resultTopic) at \(bootstrap): \(error)")
            }
        }
        await producer?.close()
        await services.shutdown()
        if !allPublished { throw ExitCode(75) }
        if !allSucceeded { throw ExitCode(1) }
    }

    private func makeProducer(logger: Logger) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: bootstrap)
        configuration.deliveryTimeout = .seconds(publishTimeout)
        do { return try KafkaProducer(configuration: configuration, logger: logger) } catch {
            throw ValidationError("--bootstrap: \(error)")
        }
    }
}
