import Kafka
import Testing

/// Faults injected into the mock cluster: every message still arrives, and every result is exactly
/// what the API promised (a `send` or `commit` that returned was acknowledged; one that threw was not).
/// Not serialized: each test has its own cluster on its own ports.
@Suite(.timeLimit(.minutes(1)))
struct FaultInjectionTests {
    let values = (0..<20).map { "m\($0)" }

    @Test func produceRequestErrorsNeverLoseAMessage() async throws {
        let cluster = try makeCluster(partitions: 2)
        cluster.pushRequestErrors(
            apiKey: .produce,
            errors: [
                .notLeaderForPartition, .requestTimedOut, .notEnoughReplicas, .leaderNotAvailable, .networkException,
            ])
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
        // An at-least-once caller: a send that threw was not acknowledged, so it is sent again.
        var acknowledged: [String: String] = [:]  // position -> value
        var failed: Set<String> = []
        for value in values {
            while true {
                do {
                    let (partition, offset) = try await producer.send(topic: "tasks", key: value, value: value)
                    acknowledged["\(partition)@\(offset)"] = value
                    break
                } catch {
                    #expect(error.isRetriable, "\(error)")
                    failed.insert(value)
                }
            }
        }
        await producer.close()
        #expect(acknowledged.count == values.count)

        let consumer = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        let read = try await read(from: consumer) { Set($0.map(\.valueString)) == Set(values) }
        let all = read + (try await readFor(.milliseconds(500), from: consumer))
        await consumer.close()
        cluster.close()
        // Each acknowledged position holds its message; only a message whose send failed may appear twice.
        let stored = Dictionary(
            all.map { ("\($0.partition)@\($0.offset)", $0.valueString) }, uniquingKeysWith: { first, _ in first })
        for (position, value) in acknowledged { #expect(stored[position] == value) }
        for value in values where !failed.contains(value) {
            #expect(all.filter { $0.valueString == value }.count == 1, "\(value)")
        }
    }

    @Test func fetchErrorsDelayButDoNotLoseMessages() async throws {
        let cluster = try makeCluster(partitions: 2)
        try await produce(values, cluster: cluster)
        cluster.pushRequestErrors(
            apiKey: .fetch,
            errors: [
                .notLeaderForPartition, .requestTimedOut, .networkException, .leaderNotAvailable,
                .notLeaderForPartition,
            ])
        let consumer = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        let read = try await read(from: consumer) { Set($0.map(\.valueString)) == Set(values) }
        #expect(Set(read.map(\.valueString)) == Set(values))
        await consumer.close()
        cluster.close()
    }

    @Test func offsetCommitErrorsNeverLoseAnAcknowledgedCommit() async throws {
        let cluster = try makeCluster()
        try await produce(values, cluster: cluster)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        let acknowledged = Shared<Set<String>>([])
        let refused = Shared<Set<String>>([])
        // First half: transient coordinator errors (librdkafka retries them; the caller retries what
        // still fails). Second half: one permanent error per commit, so every one of them throws.
        cluster.pushRequestErrors(
            apiKey: .offsetCommit,
            errors: [
                .requestTimedOut, .coordinatorNotAvailable, .notCoordinator, .coordinatorLoadInProgress,
                .requestTimedOut,
            ])
        _ = try await read(
            from: consumer,
            handle: { message in
                if message.offset == 10 {
                    cluster.clearRequestErrors(apiKey: .offsetCommit)
                    cluster.pushRequestErrors(
                        apiKey: .offsetCommit, errors: Array(repeating: .offsetMetadataTooLarge, count: 10))
                }
                while true {
                    do {
                        try await consumer.commit(message)
                        acknowledged.withLock { _ = $0.insert(message.valueString) }
                        return
                    } catch let error as KafkaError where error.isRetriable {
                        try await Task.sleep(for: .milliseconds(100))
                    } catch let error as KafkaError {
                        #expect(error.code == .offsetMetadataTooLarge)
                        refused.withLock { _ = $0.insert(message.valueString) }
                        return
                    }
                }
            }, until: { $0.count == values.count })
        await consumer.close()
        #expect(acknowledged.value == Set(values.prefix(10)))
        #expect(refused.value == Set(values.suffix(10)))

        // The last acknowledged commit is after m9: a restarted member gets exactly m10...m19 again.
        let restarted = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        let again = try await read(from: restarted) { $0.count >= 10 }
        let more = try await readFor(.milliseconds(500), from: restarted)
        #expect((again + more).map(\.valueString) == Array(values.suffix(10)))
        await restarted.close()
        cluster.close()
    }

    @Test func brokerDownMidStreamDelaysButDeliversAndCommitsEverything() async throws {
        let cluster = try makeCluster(partitions: 2)
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        let committed = Shared<Set<String>>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try await read(
                    from: consumer, timeout: .seconds(40),
                    handle: { message in
                        // At-least-once: retry the commit until acknowledged (the broker may be down now).
                        while true {
                            do {
                                try await consumer.commit(message)
                                committed.withLock { _ = $0.insert(message.valueString) }
                                return
                            } catch {
                                try await Task.sleep(for: .milliseconds(200))
                            }
                        }
                    }, until: { _ in committed.withLock { $0 } == Set(values) })
            }
            for (index, value) in values.enumerated() {
                if index == 10 {
                    try cluster.setBrokerDown(1)
                    // Bring it back while sends are waiting for their delivery reports.
                    group.addTask {
                        try await Task.sleep(for: .seconds(2))
                        try cluster.setBrokerUp(1)
                    }
                }
                _ = try await producer.send(topic: "tasks", key: value, value: value)
            }
            try await group.waitForAll()
        }
        #expect(committed.withLock { $0 } == Set(values))
        await producer.close()
        await consumer.close()
        cluster.close()
    }
}
