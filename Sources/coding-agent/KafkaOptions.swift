import AgentCore
import ArgumentParser
import Foundation
import Logging
import Logs
import Telemetry

/// Settings read from the environment (the original design's names), each also a flag.
enum Environment {
    static var values: [String: String] { ProcessInfo.processInfo.environment }
    /// `KAFKA_BOOTSTRAP`, default `kafka:9092` (the docker-compose broker).
    static var kafkaBootstrap: String { values["KAFKA_BOOTSTRAP"] ?? "kafka:9092" }
    /// `TASK_TOPIC`, default `coding-tasks`: where `TaskBundle`s are published.
    static var taskTopic: String { values["TASK_TOPIC"] ?? "coding-tasks" }
    /// `RESULT_TOPIC`, default `commit-results`: where `CommitResult`s are published.
    static var resultTopic: String { values["RESULT_TOPIC"] ?? "commit-results" }
}

/// Options shared by the commands that talk to Kafka.
struct KafkaOptions: ParsableArguments {
    @Option(help: "Kafka bootstrap servers, host:port[,host:port…] (env KAFKA_BOOTSTRAP, default kafka:9092).")
    var bootstrap: String = Environment.kafkaBootstrap

    @Option(
        help:
            "Log level: trace, debug, info, notice, warning, error, critical (env LOG_LEVEL; default warning, notice for run)."
    )
    var logLevel: String?

    /// --log-level, else LOG_LEVEL; nil for the command's default.
    var requestedLogLevel: String? { logLevel ?? Environment.values["LOG_LEVEL"] }

    @Option(help: "Log lines as human (for a terminal) or json (one object per line) (env LOG_FORMAT).")
    var logFormat: LogFormat = .fromEnvironment

    func validate() throws {
        if let level = requestedLogLevel, Logger.Level(rawValue: level) == nil {
            throw ValidationError("unknown log level \(level)")
        }
        guard !bootstrap.isEmpty else { throw ValidationError("--bootstrap must not be empty") }
    }

    /// Logging to standard error, bootstrapped once per process; lines logged for a task carry `task_id`.
    /// - Parameter defaultLevel: without --log-level and LOG_LEVEL.
    func makeLogger(_ label: String, defaultLevel: Logger.Level = .warning) -> Logger {
        LogSetup.bootstrapOnce(
            level: requestedLogLevel.flatMap { Logger.Level(rawValue: $0) } ?? defaultLevel, format: logFormat,
            metadataProvider: TaskLogContext.metadataProvider)
        return Logger(label: label)
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
