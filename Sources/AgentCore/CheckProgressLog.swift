import Contracts
import Foundation
import Logging

/// The runner's streamed progress in the agent's log, so that a check that takes minutes can be
/// watched: each step's start and end at info, output chunks at debug, each line with `task_id` and
/// `request_id`.
struct CheckProgressLog: Sendable {
    let logger: Logger
    /// Output kept per logged chunk; the runner sends chunks of a few KiB.
    static let maxChunkCharacters = 2000

    func record(_ event: CheckEvent) {
        var logger = logger
        logger[metadataKey: "request_id"] = "\(event.requestID)"
        if let taskID = TaskLogContext.taskID { logger[metadataKey: "task_id"] = "\(taskID)" }
        switch event.kind {
        case .queued(let why):
            logger.info("check queued", metadata: ["why": "\(why)"])
        case .patchResolved(let patch):
            logger.info(
                "patch resolved",
                metadata: [
                    "files": "\(patch.files.joined(separator: ","))", "added": "\(patch.linesAdded)",
                    "removed": "\(patch.linesRemoved)",
                    "repaired": "\(patch.repaired)",
                ])
        case .stepStarted(let step):
            logger.info("step started", metadata: ["step": "\(step.name)"])
        case .stepFinished(let step):
            var metadata: Logger.Metadata = [
                "step": "\(step.name)", "status": "\(step.status.name)", "duration_ms": "\(step.durationMs)",
            ]
            if step.limitHit != .none { metadata["limit_hit"] = "\(step.limitHit.name)" }
            logger.info("step finished", metadata: metadata)
        case .output(let chunk):
            let text = String(decoding: chunk.data, as: UTF8.self)
            logger.debug(
                "step output", metadata: ["step": "\(chunk.step)", "output": "\(text.prefix(Self.maxChunkCharacters))"])
        case nil:
            break
        }
    }
}
