import AgentCore
import AgentServices
import ArgumentParser
import Foundation
import Kafka
import ShutdownSignals

/// `coding-agent run`: the worker.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Consume TaskBundles, produce CommitResults, until SIGTERM (one task at a time, as in the seed).")

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var agent: AgentOptions
    @Option(help: "Task topic (env TASK_TOPIC).") var taskTopic: String = Environment.taskTopic
    @Option(help: "Result topic (env RESULT_TOPIC).") var resultTopic: String = Environment.resultTopic
    @Option(help: "Consumer group.") var group = "coding-agent"
    @Option(help: "Seconds the current task gets after SIGTERM before it is abandoned uncommitted (redelivered).")
    var shutdownDeadline = 120
    @Option(help: "Seconds without a heartbeat before the group gives this worker's partitions to another (Kafka session.timeout.ms).")
    var sessionTimeout = 45

    func run() async throws {
        let logger = kafka.makeLogger("coding-agent")
        let services = try agent.makeServices(logger: logger)
        let processor = try agent.makeProcessor(services: services, logger: logger)
        var consumerConfiguration = KafkaConsumerConfiguration(bootstrapServers: kafka.bootstrap, topics: [taskTopic])
        consumerConfiguration.groupID = group
        consumerConfiguration.sessionTimeout = .seconds(sessionTimeout)
        consumerConfiguration.heartbeatInterval = min(.seconds(3), .seconds(sessionTimeout) / 3)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: kafka.bootstrap), logger: logger)
        let worker = Worker(consumer: consumer, producer: producer, processor: processor, resultTopic: resultTopic, logger: logger)

        let working = Task { try await worker.run() }
        let deadline = Duration.seconds(shutdownDeadline)
        let signals = ShutdownSignals { _ in
            // Take no new message; an idle worker stops at once, a busy one gets the deadline to finish
            // its message before it is abandoned uncommitted (and redelivered).
            worker.stop()
            guard worker.isBusy else { return working.cancel() }
            logger.info("finishing the current message before stopping", metadata: ["deadline_s": "\(deadline.components.seconds)"])
            Task {
                try? await Task.sleep(for: deadline)
                working.cancel()
            }
        }
        defer { signals.cancel() }
        logger.info("worker started", metadata: ["topic": "\(taskTopic)", "group": "\(group)"])
        let outcome = await working.result
        await producer.close()
        await consumer.close()
        await services.shutdown()
        try outcome.get()
    }
}
