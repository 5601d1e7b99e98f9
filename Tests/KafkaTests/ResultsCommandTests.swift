import AgentContracts
import Foundation
import Kafka
import TestSupport
import Testing

/// `coding-agent results` as a user runs it.
@Suite(.timeLimit(.minutes(1)))
struct ResultsCommandTests {
    @Test func resultsPrintsWhatTheTopicHoldsAndSkipsWhatIsNotAResult() async throws {
        let cluster = try makeCluster(topic: "commit-results")
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
        let success = CommitResult.with {
            $0.taskID = "T-1"
            $0.status = "SUCCESS"
            $0.branchName = "agt/T-1"
            $0.commitSha = "9b2f0c1d7e4a5b6c"
        }
        let failure = CommitResult.with {
            $0.taskID = "T-2"
            $0.status = "SOFT_FAIL"
            $0.notes = ["ruff: F401", "pytest: 1 new failure"]
        }
        _ = try await producer.send(
            topic: "commit-results", key: Array("T-1".utf8), value: try success.serializedBytes())
        _ = try await producer.send(topic: "commit-results", key: nil, value: "garbage")
        _ = try await producer.send(
            topic: "commit-results", key: Array("T-2".utf8), value: try failure.serializedBytes())
        await producer.close()

        let agent = Paths.product("coding-agent").path
        let text = try run([agent, "results", "--bootstrap", cluster.bootstrapServers])
        #expect(
            text.stdout
                == "T-1  SUCCESS  agt/T-1  9b2f0c1d7e4a\nT-2  SOFT_FAIL  -  -  ruff: F401 | pytest: 1 new failure\n")
        #expect(text.stderr.contains("commit-results[0]@1 is not a valid coding_agent.CommitResult"))

        let json = try run([agent, "results", "--bootstrap", cluster.bootstrapServers, "--format", "json"])
        let decoded = try json.stdout.split(separator: "\n").map { try CommitResult(jsonString: String($0)) }
        #expect(decoded == [success, failure])
        cluster.close()
    }

    @Test func resultsOfAnEmptyTopicPrintsNothing() throws {
        let cluster = try makeCluster(topic: "commit-results")
        let output = try run([Paths.product("coding-agent").path, "results", "--bootstrap", cluster.bootstrapServers])
        #expect(output.stdout.isEmpty)
        #expect(output.status == 0)
        cluster.close()
    }
}
