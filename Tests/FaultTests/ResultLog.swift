import AgentContracts
import Foundation
import Kafka
import Synchronization
import TestSupport

/// Every `CommitResult` on the result topic, read by a consumer of its own group while the suite runs.
final class ResultLog: Sendable {
    private let results = Mutex<[CommitResult]>([])
    private let undecodable = Mutex(0)
    private let consumer: KafkaConsumer
    private let reading: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(cluster: DevelopmentCluster, topic: String) throws {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, topics: [topic])
        configuration.groupID = "fault-suite-reader"
        configuration.sessionTimeout = .seconds(6)
        configuration.heartbeatInterval = .milliseconds(500)
        consumer = try KafkaConsumer(configuration: configuration, logger: FaultBed.quiet)
        // Holds self until close() cancels it.
        let task = Task { [self] in
            do {
                for try await message in consumer.messages {
                    if let result = try? message.decode(CommitResult.self) {
                        results.withLock { $0.append(result) }
                    } else {
                        undecodable.withLock { $0 += 1 }
                    }
                }
            } catch {}
        }
        reading.withLock { $0 = task }
    }

    /// In topic order (one partition).
    var all: [CommitResult] { results.withLock { $0 } }
    var undecodableCount: Int { undecodable.withLock { $0 } }
    var answeredIDs: Set<String> { Set(all.map(\.taskID)) }

    func close() async {
        reading.withLock { $0 }?.cancel()
        await consumer.close()
    }
}

/// Memory and open files of each process instance over the run, sampled from /proc: RSS and VmHWM in
/// KiB, and the number of open file descriptors.
struct MemoryLog {
    struct Series {
        var label: String
        var rss: [Int] = []
        var hwm = 0
        var openFiles: [Int] = []
    }
    private(set) var series: [String: Series] = [:]

    mutating func sample(_ label: String, pid: Int32?) {
        guard let pid, let memory = ProcessTable.memory(of: pid), let files = openFileCount(of: pid) else { return }
        let key = "\(label) pid \(pid)"
        series[key, default: Series(label: key)].rss.append(memory.rss)
        series[key]!.hwm = max(series[key]!.hwm, memory.hwm)
        series[key]!.openFiles.append(files)
    }

    struct Judged {
        var label: String
        var samples: Int
        var settledRSS: Int, lastRSS: Int, hwm: Int
        var settledFiles: Int, lastFiles: Int, peakFiles: Int
    }

    /// Instances sampled long enough to judge, with their settled figures (median of the second quarter
    /// of samples, after start-up) and their last ones.
    var judged: [Judged] {
        series.values.sorted { $0.label < $1.label }.compactMap { series in
            guard series.rss.count >= 20 else { return nil }
            func settled(_ values: [Int]) -> Int {
                let quarter = values.count / 4
                return values[quarter..<(2 * quarter)].sorted()[quarter / 2]
            }
            return Judged(
                label: series.label, samples: series.rss.count,
                settledRSS: settled(series.rss), lastRSS: series.rss.last!, hwm: series.hwm,
                settledFiles: settled(series.openFiles), lastFiles: series.openFiles.last!,
                peakFiles: series.openFiles.max()!)
        }
    }
}
