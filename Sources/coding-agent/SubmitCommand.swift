import AgentContracts
import ArgumentParser
import Foundation
import Kafka

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Publish a TaskBundle, or a single CodingTask, from a protobuf JSON file to the task topic.",
        discussion: """
            The file uses the .proto field names (base_commit) or lowerCamel (baseCommit). It is checked \
            before anything is sent: unknown fields, wrong types, an empty goal and duplicate ids are \
            reported with the field at fault (exit 65). A task may leave out id and base_commit: the agent \
            derives a stable id from the bundle and works on the remote's default branch. A single CodingTask is wrapped in a TaskBundle whose \
            bundle_id is the task id.
            Exit codes: 0 published, 1 Kafka did not acknowledge the message, 64 usage, 65 a bad task file.
            """)

    @Option(help: "The task file (JSON).")
    var task: String

    @Option(help: "Topic to publish to (env TASK_TOPIC, default coding-tasks).")
    var topic: String = Environment.taskTopic

    @Option(help: "Seconds to wait for the broker's acknowledgement.")
    var timeout = 30

    @OptionGroup var kafka: KafkaOptions

    func validate() throws {
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() async throws {
        let bundle: TaskBundle
        do {
            bundle = try TaskFile.load(contentsOf: URL(fileURLWithPath: task))
        } catch {
            printError("submit: \(task): \(error)")
            throw ExitCode(65)  // EX_DATAERR
        }
        var configuration = KafkaProducerConfiguration(bootstrapServers: kafka.bootstrap)
        configuration.deliveryTimeout = .seconds(timeout)
        let producer = try KafkaProducer(configuration: configuration, logger: kafka.makeLogger("submit"))
        do {
            let (partition, offset) = try await producer.send(
                topic: topic, key: Array(bundle.bundleID.utf8), value: try bundle.serializedBytes())
            let ids = bundle.tasks.enumerated().map { index, task in
                TaskIdentity.id(of: task, bundleID: bundle.bundleID, position: index + 1)
            }.joined(separator: ", ")
            print(
                "submitted bundle \(bundle.bundleID) (\(bundle.tasks.count) task(s): \(ids)) to \(topic)[\(partition)]@\(offset)"
            )
            await producer.close()
        } catch {
            await producer.close(timeout: .zero)
            printError("submit: not delivered: \(error)")
            throw ExitCode.failure
        }
    }
}
