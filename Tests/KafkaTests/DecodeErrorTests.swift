import AgentContracts
import Kafka
import Testing

@Suite(.timeLimit(.minutes(1)))
struct DecodeErrorTests {
    @Test func aMessageThatIsNotATaskBundleIsADecodeErrorWithItsOffset() async throws {
        let cluster = try makeCluster()
        let bundle = TaskBundle.with {
            $0.bundleID = "b-1"
            $0.tasks = [
                CodingTask.with {
                    $0.id = "T-1"
                    $0.goal = "add greet()"
                    $0.baseCommit = "abc"
                }
            ]
        }
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
        _ = try await producer.send(topic: "tasks", key: Array("b-1".utf8), value: try bundle.serializedBytes())
        _ = try await producer.send(topic: "tasks", key: nil, value: "this is not protobuf")
        _ = try await producer.send(topic: "tasks", key: nil, value: [])
        await producer.close()

        let consumer = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        let messages = try await read(from: consumer) { $0.count == 3 }
        await consumer.close()
        cluster.close()

        #expect(try messages[0].decode(TaskBundle.self) == bundle)
        for index in [1, 2] {
            let error = #expect(throws: KafkaDecodeError.self) { try messages[index].decode(TaskBundle.self) }
            #expect(error?.topic == "tasks")
            #expect(error?.partition == 0)
            #expect(error?.offset == Int64(index))
            #expect(error?.expectedType == "coding_agent.TaskBundle")
            #expect(error?.description.contains("tasks[0]@\(index)") == true)
        }
    }

    @Test func bytesThatParseOnlyAsUnknownFieldsAreRejected() {
        // 0x78 0x01: field 15 as a varint. Protobuf keeps it as an unknown field; no TaskBundle field is set.
        let message = KafkaMessage(topic: "t", partition: 2, offset: 7, key: nil, value: [0x78, 0x01])
        let error = #expect(throws: KafkaDecodeError.self) { try message.decode(TaskBundle.self) }
        #expect(error?.offset == 7)
        #expect(error?.partition == 2)
    }
}
