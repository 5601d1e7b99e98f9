import Kafka
import Synchronization
import Testing

@Suite(.serialized, .timeLimit(.minutes(1)))
struct RebalanceTests {
    /// What two group members did, in the order it happened.
    final class Journal: Sendable {
        enum Event: Equatable {
            case delivered(String, member: Int)
            case committed(String, member: Int)
            case commitFailed(String)
        }
        private let events = Mutex<[Event]>([])
        func record(_ event: Event) { events.withLock { $0.append(event) } }
        var all: [Event] { events.withLock { $0 } }
        var committed: Set<String> {
            Set(all.compactMap { if case .committed(let value, _) = $0 { value } else { nil } })
        }
        func members(delivering value: String) -> [Int] {
            all.compactMap { if case .delivered(value, let member) = $0 { member } else { nil } }
        }
    }

    @Test func twoMembersShareThePartitionsAndARebalanceMidStreamLosesNothing() async throws {
        let cluster = try makeCluster(partitions: 4)
        let values = (0..<60).map { "task-\($0)" }
        try await produce(values, cluster: cluster)
        let journal = Journal()
        let all = Set(values)

        // Each member "works" 100 ms per message, then commits it; a failed commit is only recorded
        // (the message must then come back, to someone).
        func work(_ member: Int, _ consumer: KafkaConsumer) async throws {
            for try await message in consumer.messages {
                journal.record(.delivered(message.valueString, member: member))
                try await Task.sleep(for: .milliseconds(100))
                do {
                    try await consumer.commit(message)
                    journal.record(.committed(message.valueString, member: member))
                } catch {
                    journal.record(.commitFailed(message.valueString))
                }
                if journal.committed == all { return }
            }
        }

        let first = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        let second = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await work(1, first) }
            // The second member joins once the first is under way: the group rebalances mid-stream.
            while journal.committed.count < 8 { try await Task.sleep(for: .milliseconds(50)) }
            group.addTask { try await work(2, second) }
            group.addTask {
                while journal.committed != all { try await Task.sleep(for: .milliseconds(100)) }
            }
            try await group.next()
            group.cancelAll()
        }
        await first.close()
        await second.close()

        let events = journal.all
        #expect(journal.committed == all)
        // Both members got work after the rebalance.
        #expect(Set(values.flatMap { journal.members(delivering: $0) }) == [1, 2])
        // A message is never delivered again once its commit was acknowledged.
        for value in values {
            if let commit = events.firstIndex(where: { if case .committed(value, _) = $0 { true } else { false } }) {
                #expect(!events[(commit + 1)...].contains { if case .delivered(value, _) = $0 { true } else { false } })
            }
        }

        // A new member of the group finds nothing left: every message was committed exactly where it should be.
        let third = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        let leftovers = try await readFor(.seconds(5), from: third)
        #expect(leftovers.isEmpty)
        await third.close()
        cluster.close()
    }
}
