import Foundation
import Kafka
import Logging

/// Throughput of the Kafka layer against the development cluster (librdkafka's mock cluster), 1 KiB
/// messages, next to kcat (librdkafka's own CLI) on the same cluster as the baseline.
enum KafkaBench {
    static let messageSize = 1024
    static let produceCount = Int(ProcessInfo.processInfo.environment["KAFKA_BENCH_COUNT"] ?? "") ?? 20_000
    static let sequentialCount = 2_000
    static let consumeCount = 5_000
    static let logger = {
        var logger = Logger(label: "bench.kafka")
        logger.logLevel = .warning
        return logger
    }()

    static func run() async throws {
        let cluster = try DevelopmentCluster(brokers: 1, logger: logger)
        defer { cluster.close() }
        // The mock cluster keeps only about 5 MB per partition (older messages are dropped): spread
        // the 20 MB over 8 partitions so every message can still be read back.
        try cluster.createTopic("bench", partitions: 8)
        try cluster.createTopic("bench-serial", partitions: 1)
        try cluster.createTopic("kcat", partitions: 8)
        try cluster.createTopic("kcat-empty", partitions: 1)
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: messageSize)

        // Produce: every send awaited until its delivery report, 1 000 in flight.
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers), logger: logger)
        _ = try await producer.send(topic: "bench", key: nil, value: value)  // connect, get a producer id
        let concurrent = try await measure(produceCount) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<produceCount {
                    if index >= 1_000 { try await group.next() }
                    // Keyed, so messages spread over the partitions (unkeyed ones stick to one for a while).
                    group.addTask {
                        _ = try await producer.send(topic: "bench", key: Array("\(index)".utf8), value: value)
                    }
                }
                try await group.waitForAll()
            }
        }
        await producer.close()

        // One at a time (what a worker publishing one result per task does), without batching delay.
        var unbatched = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        unbatched.linger = .zero
        let serialProducer = try KafkaProducer(configuration: unbatched, logger: logger)
        _ = try await serialProducer.send(topic: "bench-serial", key: nil, value: value)
        let sequential = try await measure(sequentialCount) {
            for _ in 0..<sequentialCount {
                _ = try await serialProducer.send(topic: "bench-serial", key: nil, value: value)
            }
        }
        await serialProducer.close()

        // Baseline: kcat produces the same number of 1 KiB messages (confirmed once, at its exit) and
        // reads them back; its start-up (producing nothing, reading one message) is taken off.
        let payload = String(repeating: "x", count: messageSize)
        let lines = Data((0..<produceCount).map { "\($0):\(payload)\n" }.joined().utf8)
        let produceArguments = ["kcat", "-b", cluster.bootstrapServers, "-P", "-K", ":", "-t"]
        let consumeArguments = ["kcat", "-b", cluster.bootstrapServers, "-C", "-o", "beginning", "-q", "-t", "kcat"]
        let kcatProduceStartup = try measureProcess(1, produceArguments + ["kcat-empty"], input: Data())
        let kcatProduce = try measureProcess(
            produceCount, produceArguments + ["kcat"], input: lines, minus: kcatProduceStartup)
        // Start-up of a reader: connect and read one message.
        let kcatConsumeStartup = try measureProcess(1, consumeArguments + ["-c", "1"])
        let kcatConsume = try measureProcess(produceCount, consumeArguments + ["-e"], minus: kcatConsumeStartup)

        // Consume: read only, then read and commit each message (awaiting the broker's acknowledgement).
        let readOnly = try await consume(cluster, count: produceCount + 1, group: "bench-read", commit: false)
        let readAndCommit = try await consume(cluster, count: consumeCount, group: "bench-commit", commit: true)

        print(
            "1 KiB messages, development cluster (1 broker), \(produceCount) produced with 1000 in flight, \(sequentialCount) one at a time, \(consumeCount) committed:"
        )
        report("produce, delivery confirmed, 1000 in flight", concurrent, baseline: ("kcat -P", kcatProduce))
        report("produce, delivery confirmed, one at a time", sequential)
        report("consume", readOnly, baseline: ("kcat -C", kcatConsume))
        report("consume + commit each (acknowledged)", readAndCommit)
        row("Kafka produce, delivery confirmed, 1 KiB, 1000 in flight", concurrent, baseline: ("kcat -P", kcatProduce))
        row("Kafka produce one at a time (a worker's results)", sequential)
        row("Kafka consume", readOnly, baseline: ("kcat -C", kcatConsume))
        row("Kafka consume + acknowledged commit each", readAndCommit)
    }

    struct Figure {
        var count: Int
        var seconds: Double
        var perSecond: Double { Double(count) / seconds }
        var microsecondsEach: Double { seconds / Double(count) * 1e6 }
    }

    static func report(_ name: String, _ figure: Figure, baseline: (String, Figure)? = nil) {
        var line =
            "  \(name.padding(toLength: 46, withPad: " ", startingAt: 0)) \(format(figure.perSecond, 9)) msg/s  \(format(figure.microsecondsEach, 7)) µs/msg"
        if let (label, base) = baseline {
            let overhead = figure.microsecondsEach - base.microsecondsEach
            let comparison =
                overhead >= 0
                ? "our overhead \(format(overhead, 0)) µs/msg" : "we are \(format(-overhead, 0)) µs/msg faster"
            line += "   [\(label): \(format(base.perSecond, 0)) msg/s; \(comparison)]"
        }
        print(line)
    }

    static func row(_ what: String, _ figure: Figure, baseline: (String, Figure)? = nil) {
        func text(_ figure: Figure) -> String {
            String(format: "%.0fk msg/s (%.1f µs)", figure.perSecond / 1000, figure.microsecondsEach)
        }
        guard let (label, base) = baseline else { return Table.row(what, text(figure)) }
        Table.row(
            what, text(figure), baseline: "`\(label)` \(text(base))",
            ratio: Table.ratio(base.perSecond / figure.perSecond))
    }

    static func format(_ value: Double, _ width: Int) -> String {
        let text = String(format: value >= 100 ? "%.0f" : "%.1f", value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }

    static func measure(_ count: Int, _ body: () async throws -> Void) async throws -> Figure {
        let clock = ContinuousClock()
        let elapsed = try await clock.measure { try await body() }
        return Figure(count: count, seconds: elapsed.seconds)
    }

    /// Runs a program to completion; `minus` is a fixed cost (start-up) to take off its time.
    static func measureProcess(_ count: Int, _ arguments: [String], input: Data? = nil, minus: Figure? = nil) throws
        -> Figure
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardInput = pipe
        let started = ContinuousClock.now
        try process.run()
        if let input { pipe.fileHandleForWriting.write(input) }
        try pipe.fileHandleForWriting.close()
        process.waitUntilExit()
        return Figure(count: count, seconds: (ContinuousClock.now - started).seconds - (minus?.seconds ?? 0))
    }

    /// Reads `count` messages of `bench`; the clock starts at the first message (after the group join).
    static func consume(_ cluster: DevelopmentCluster, count: Int, group: String, commit: Bool) async throws -> Figure {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, topics: ["bench"])
        configuration.groupID = group
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        var started: ContinuousClock.Instant?
        var seen = 0
        for try await message in consumer.messages {
            if started == nil { started = .now }
            if commit { try await consumer.commit(message) }
            seen += 1
            if seen == count { break }
        }
        let seconds = (ContinuousClock.now - started!).seconds
        await consumer.close()
        return Figure(count: count - 1, seconds: seconds)  // the first message started the clock
    }
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
