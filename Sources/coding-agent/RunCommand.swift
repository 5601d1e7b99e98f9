import AgentCore
import AgentServices
import ArgumentParser
import Foundation
import Kafka
import ServiceLifecycle
import Telemetry

/// `coding-agent run`: the worker.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Consume TaskBundles, produce CommitResults, until SIGTERM or SIGINT.",
        discussion: """
            On SIGTERM the workers take no new message, finish the current one within --shutdown-deadline \
            or abandon it uncommitted (so it is redelivered), flush the producer and leave the group.
            Exit codes: 0 stopped by SIGTERM or SIGINT, 1 a worker stopped on an error (e.g. a result Kafka \
            did not acknowledge; its message stays uncommitted), 64 usage (bad options, model or service \
            configuration).
            """)

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var agent: AgentOptions
    @Option(help: "Task topic (env TASK_TOPIC).") var taskTopic: String = Environment.taskTopic
    @Option(help: "Result topic (env RESULT_TOPIC).") var resultTopic: String = Environment.resultTopic
    @Option(help: "Consumer group.") var group = "coding-agent"
    @Option(help: "Seconds the current task gets after SIGTERM before it is abandoned uncommitted (redelivered).")
    var shutdownDeadline = 120
    @Option(help: "Workers, each its own consumer in the group; more than the topic's partitions leaves some idle.")
    var concurrency = 1
    @Option(
        help:
            "Seconds the group waits for a worker that stopped heartbeating (session.timeout.ms; brokers accept 6 to 1800 by default)."
    )
    var sessionTimeout = 45
    @Option(help: "Port of the Prometheus /metrics endpoint; 0 turns it off (env METRICS_PORT).")
    var metricsPort: Int = Environment.values["METRICS_PORT"].map { Int($0) ?? -1 } ?? 9600

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard (0...65535).contains(metricsPort) else {
            throw ValidationError("--metrics-port (or METRICS_PORT) must be 0 (off) or a TCP port")
        }
        guard shutdownDeadline >= 0 else { throw ValidationError("--shutdown-deadline must not be negative") }
        guard sessionTimeout >= 1 else { throw ValidationError("--session-timeout must be at least 1 second") }
    }

    func run() async throws {
        // notice: the start-up line shows at the default level; nothing else in the worker logs at notice.
        let logger = kafka.makeLogger("coding-agent", defaultLevel: .notice)
        let neighbours = try agent.makeServices(logger: logger)
        var services: [any Service] = []
        if metricsPort != 0 {
            services.append(
                MetricsEndpoint.bootstrap(
                    port: metricsPort, valueHistogramBuckets: ["ca_task_attempts": [1, 2, 3, 4, 5]], logger: logger))
        }
        let processor = try agent.makeProcessor(services: neighbours, logger: logger)
        var consumerConfiguration = KafkaConsumerConfiguration(bootstrapServers: kafka.bootstrap, topics: [taskTopic])
        consumerConfiguration.groupID = group
        consumerConfiguration.sessionTimeout = .seconds(sessionTimeout)
        // librdkafka's 3 s, or less so that a short session still sees three heartbeats.
        consumerConfiguration.heartbeatInterval = min(.seconds(3), .seconds(sessionTimeout) / 3)
        let consumers = try (0..<concurrency).map { _ in
            try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        }
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: kafka.bootstrap), logger: logger)
        let resultTopic = resultTopic
        // Shut down in reverse order: the workers first, the metrics endpoint last.
        services.append(
            WorkerPool(consumers: consumers, producer: producer, logger: logger) { consumer in
                Worker(
                    consumer: consumer, producer: producer, processor: processor, resultTopic: resultTopic,
                    logger: logger)
            })
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Past the deadline the group cancels the workers: the current message stays uncommitted.
        configuration.maximumGracefulShutdownDuration = .seconds(shutdownDeadline)
        // What it consumes, where it reports, with which model and runner: one line at the default level.
        let summary = await processor.summary()
        logger.notice(
            "worker started",
            metadata: summary.merging([
                "bootstrap": "\(kafka.bootstrap)", "task_topic": "\(taskTopic)", "group": "\(group)",
                "result_topic": "\(resultTopic)",
                "runner_socket": "\(agent.runnerSocket)", "workers": "\(concurrency)", "metrics_port": "\(metricsPort)",
            ]) { $1 })
        // The RAG and SRM clients outlive the workers: a task finishing after SIGTERM still claims its leases.
        do { try await ServiceGroup(configuration: configuration).run() } catch {
            await neighbours.shutdown()
            throw error
        }
        await neighbours.shutdown()
    }
}
