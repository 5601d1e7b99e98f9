import Contracts
import Foundation
import Kafka
import TestSupport
import Testing

/// Another Kafka client, kcat, talks to the development cluster over TCP, both ways.
@Suite(.timeLimit(.minutes(1)))
struct KcatInteropTests {
    @Test func kcatAndOurClientsReadEachOthersMessages() async throws {
        let cluster = try makeCluster()
        try run(
            ["kcat", "-b", cluster.bootstrapServers, "-P", "-t", "tasks", "-k", "from-kcat"],
            input: Data("hello from kcat\n".utf8))

        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
        _ = try await producer.send(topic: "tasks", key: "from-swift", value: "hello from swift")
        await producer.close()

        let consumer = try KafkaConsumer(configuration: consumerConfiguration(cluster), logger: testLogger)
        let messages = try await read(from: consumer) { $0.count == 2 }
        await consumer.close()
        #expect(messages.map(\.keyString) == ["from-kcat", "from-swift"])
        #expect(messages.first?.valueString == "hello from kcat")

        let consumed = try run([
            "kcat", "-b", cluster.bootstrapServers, "-C", "-t", "tasks", "-o", "beginning", "-e", "-q", "-f",
            "%k=%s@%o\\n",
        ])
        #expect(consumed.stdout == "from-kcat=hello from kcat@0\nfrom-swift=hello from swift@1\n")
        cluster.close()
    }

    @Test func devKafkaServesItsTopicsUntilSIGTERM() async throws {
        let directory = try makeTemporaryDirectory("dev-kafka")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bootstrapFile = directory.appendingPathComponent("bootstrap")
        let process = Process()
        process.executableURL = Paths.product("coding-agent")
        process.arguments = [
            "dev-kafka", "--brokers", "2", "--topics", "in,out", "--partitions", "2", "--bootstrap-file",
            bootstrapFile.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        var bootstrap = ""
        for _ in 0..<100 where bootstrap.isEmpty {
            bootstrap =
                (try? String(contentsOf: bootstrapFile, encoding: .utf8))?.trimmingCharacters(
                    in: .whitespacesAndNewlines) ?? ""
            if bootstrap.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(bootstrap.split(separator: ",").count == 2)
        let metadata = try run(["kcat", "-b", bootstrap, "-L", "-J"]).stdout
        #expect(metadata.contains(#""topic":"in""#) && metadata.contains(#""topic":"out""#))
        #expect(metadata.contains(#""partition":1"#))

        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: bootstrapFile.path))
    }
}
