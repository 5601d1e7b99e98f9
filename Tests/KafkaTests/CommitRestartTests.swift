import Kafka
import Testing

@Suite(.serialized, .timeLimit(.minutes(1)))
struct CommitRestartTests {
    @Test func restartedConsumerGetsExactlyTheUncommittedMessages() async throws {
        let cluster = try makeCluster(partitions: 2)
        let values = (0..<10).map { "message-\($0)" }
        try await produce(values, cluster: cluster)

        // First run: read all ten, commit only the first half of what each partition delivered.
        let first = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        let read1 = try await read(from: first) { $0.count == values.count }
        #expect(Set(read1.map(\.valueString)) == Set(values))
        var committed: Set<String> = []
        for partition in Set(read1.map(\.partition)) {
            let inPartition = read1.filter { $0.partition == partition }
            for message in inPartition.prefix(inPartition.count / 2) {
                try await first.commit(message)
                committed.insert(message.valueString)
            }
        }
        await first.close()
        #expect(!committed.isEmpty)

        // Second run, same group: everything not committed comes back, nothing committed does.
        let second = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        let uncommitted = Set(values).subtracting(committed)
        let read2 = try await read(from: second) { Set($0.map(\.valueString)) == uncommitted }
        let extra = try await readFor(.milliseconds(500), from: second)
        #expect(Set(read2.map(\.valueString)).isDisjoint(with: committed))
        #expect(extra.isEmpty)
        await second.close()
        cluster.close()
    }
}
