import Glibc
import Logging
import Synchronization

/// How log lines are written to standard error.
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's stream format, for a terminal.
    case human
    /// One JSON object per line, metadata as top-level keys (for log collectors).
    case json

    /// `LOG_FORMAT` when it names a format, else `human`.
    public static var fromEnvironment: LogFormat {
        // getenv, not ProcessInfo's dictionary of the whole environment: this runs at every `exec`'s start.
        getenv("LOG_FORMAT").flatMap { LogFormat(rawValue: String(cString: $0).lowercased()) } ?? .human
    }
}

/// Bootstraps swift-log once per process, for both executables.
public enum LogSetup {
    private static let done = Mutex(false)

    /// Standard error, at `LOG_LEVEL` (else `level`), in `LOG_FORMAT` (else human): for commands without
    /// log options of their own.
    public static func bootstrapFromEnvironment(defaultLevel level: Logger.Level) {
        bootstrapOnce(level: levelFromEnvironment(default: level), format: .fromEnvironment)
    }

    /// `LOG_LEVEL` when it names a level, else `level`.
    public static func levelFromEnvironment(default level: Logger.Level) -> Logger.Level {
        getenv("LOG_LEVEL").flatMap { Logger.Level(rawValue: String(cString: $0).lowercased()) } ?? level
    }

    /// - Parameters:
    ///   - level: the lowest level written.
    ///   - format: human or JSON lines.
    ///   - metadataProvider: metadata added to every line (e.g. the task id of the task being processed).
    public static func bootstrapOnce(
        level: Logger.Level, format: LogFormat = .human, metadataProvider: Logger.MetadataProvider? = nil
    ) {
        done.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap(
                { label, provider in
                    switch format {
                    case .human:
                        var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
                        handler.logLevel = level
                        return handler
                    case .json:
                        var handler = JSONLogHandler(label: label, metadataProvider: provider)
                        handler.logLevel = level
                        return handler
                    }
                }, metadataProvider: metadataProvider)
        }
    }
}
