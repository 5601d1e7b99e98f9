import Kafka
import Testing

@Suite(.serialized, .timeLimit(.minutes(1)))
struct ProducerTimeoutTests {
    @Test func sendFailsDefinitivelyWhenTheClusterStaysDownPastTheDeliveryTimeout() async throws {
        let cluster = try makeCluster()
        var configuration = producerConfiguration(cluster)
        configuration.deliveryTimeout = .seconds(2)
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
        _ = try await producer.send(topic: "tasks", key: "k", value: "before")

        try cluster.setBrokerDown(1)
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.send(topic: "tasks", key: "k", value: "during")
        }
        let waited = clock.now - started
        #expect(error?.code == .messageTimedOut)
        #expect(error?.isFatal == false)
        #expect(waited >= .seconds(1.5) && waited < .seconds(15))

        // The producer stays usable once the broker is back.
        try cluster.setBrokerUp(1)
        let (_, offset) = try await producer.send(topic: "tasks", key: "k", value: "after")
        #expect(offset == 1)
        await producer.close()
        cluster.close()
    }

    @Test func sendAfterCloseFailsAtOnce() async throws {
        let cluster = try makeCluster()
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
        await producer.close()
        let error = await #expect(throws: KafkaError.self) {
            _ = try await producer.send(topic: "tasks", key: nil, value: "late")
        }
        #expect(error?.code == .destroyed)
        cluster.close()
    }

    @Test func invalidPropertyIsReportedWithItsName() throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:1")
        configuration.properties["no.such.property"] = "1"
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(configuration: configuration, logger: testLogger)
        }
        #expect(error?.context.contains("no.such.property") == true)
    }
}
