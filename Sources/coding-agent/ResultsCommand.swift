import AgentContracts
import ArgumentParser
import Contracts
import Foundation
import Kafka

struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Print the CommitResults on the result topic, oldest first.",
        discussion: """
            Without --follow, prints what the topic holds now and exits; with --follow, keeps printing \
            new results until interrupted. Reading uses its own consumer group (a fresh one unless --group \
            is given) and never commits, so it moves no worker's offsets.
            Exit codes: 0 done (without --follow), 1 Kafka could not be read, 64 usage.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Flag(help: "Keep waiting for new results.")
    var follow = false

    @Option(help: "text (one aligned line per result) or json (one protobuf JSON object per line).")
    var format: Format = .text

    @Option(help: "Topic to read (env RESULT_TOPIC, default commit-results).")
    var topic: String = Environment.resultTopic

    @Option(help: "Consumer group to read as (default: a new group per run).")
    var group: String?

    @OptionGroup var kafka: KafkaOptions

    func run() async throws {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: kafka.bootstrap, topics: [topic])
        configuration.groupID = group ?? "coding-agent-results-\(UUID().uuidString.prefix(8))"
        let consumer = try KafkaConsumer(configuration: configuration, logger: kafka.makeLogger("results"))
        do {
            try await printResults(from: consumer)
            await consumer.close()
        } catch {
            await consumer.close()
            printError("results: \(error)")
            throw ExitCode.failure
        }
    }

    private func printResults(from consumer: KafkaConsumer) async throws {
        // Without --follow: read up to the end offsets as they are now.
        var pending: [Int32: Int64] = [:]
        if !follow {
            pending = try await consumer.endOffsets(topic: topic).filter { $0.value > 0 }
            if pending.isEmpty { return }
        }
        for try await message in consumer.messages {
            do {
                print(try line(for: message.decode(CommitResult.self)))
            } catch {
                printError("results: skipping \(error)")
            }
            fflush(nil)
            if !follow {
                if let end = pending[message.partition], message.offset + 1 >= end { pending[message.partition] = nil }
                if pending.isEmpty { return }
            }
        }
    }

    private func line(for result: CommitResult) throws -> String {
        switch format {
        case .json:
            return try result.protoNamedJSON()
        case .text:
            let sha = result.commitSha.isEmpty ? "-" : String(result.commitSha.prefix(12))
            let branch = result.branchName.isEmpty ? "-" : result.branchName
            let notes = result.notes.isEmpty ? "" : "  " + result.notes.joined(separator: " | ")
            return "\(result.taskID)  \(result.status)  \(branch)  \(sha)\(notes)"
        }
    }
}
