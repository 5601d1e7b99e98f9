import Logging

/// The task being processed, as a task-local, so that every log line written while it runs carries
/// `task_id` — also the lines of loggers made before the task (git, the model client).
public enum TaskLogContext {
    @TaskLocal public static var taskID: String?

    /// Give this to `LoggingSystem.bootstrap` (the executables' log set-up does).
    public static let metadataProvider = Logger.MetadataProvider {
        taskID.map { ["task_id": .string($0)] } ?? [:]
    }
}
