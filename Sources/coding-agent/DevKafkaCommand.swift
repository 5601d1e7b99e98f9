import ArgumentParser
import Foundation
import Kafka
import Logging
import Logs
import ServiceLifecycle
import Telemetry

struct DevKafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-kafka",
        abstract: "Host a development Kafka cluster (librdkafka's mock cluster) until SIGINT or SIGTERM.",
        discussion: """
            Any Kafka client (kcat, confluent-kafka, this agent) can use it over TCP on 127.0.0.1. Data \
            lives in memory only. The bootstrap address is printed on standard output.
            Exit codes: 0 stopped by SIGINT or SIGTERM, 1 the cluster could not start, 64 usage.
            """)

    @Option(help: "Number of brokers.")
    var brokers = 1

    @Option(
        help:
            "Topics to create, comma-separated (default: $TASK_TOPIC,$RESULT_TOPIC, i.e. coding-tasks,commit-results).")
    var topics: String = "\(Environment.taskTopic),\(Environment.resultTopic)"

    @Option(help: "Partitions per topic.")
    var partitions = 3

    @Option(help: "Also write the bootstrap address to this file (removed on exit).")
    var bootstrapFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    var topicNames: [String] {
        topics.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level \(logLevel)") }
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        guard !topicNames.isEmpty else { throw ValidationError("--topics names no topic") }
    }

    func run() async throws {
        LogSetup.bootstrapOnce(level: Logger.Level(rawValue: logLevel) ?? .warning, format: .fromEnvironment)
        let logger = Logger(label: "dev-kafka")
        let cluster = try DevelopmentCluster(brokers: brokers, logger: logger)
        for topic in topicNames {
            try cluster.createTopic(topic, partitions: partitions)
        }
        print(cluster.bootstrapServers)
        fflush(nil)  // flush stdout now: scripts wait for this line
        if let bootstrapFile {
            try Data((cluster.bootstrapServers + "\n").utf8).write(
                to: URL(fileURLWithPath: bootstrapFile), options: .atomic)
        }
        printError(
            "dev-kafka: \(brokers) broker(s) at \(cluster.bootstrapServers); topics \(topicNames.joined(separator: ", ")) with \(partitions) partition(s); stop with Ctrl-C"
        )
        try await ServiceGroup(
            services: [UntilShutdown()], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ).run()
        printError("dev-kafka: stopping")
        cluster.close()
        if let bootstrapFile { try? FileManager.default.removeItem(atPath: bootstrapFile) }
    }
}

/// Does nothing until the service group shuts down (the cluster lives beside it).
struct UntilShutdown: Service {
    func run() async throws {
        try? await gracefulShutdown()
    }
}
