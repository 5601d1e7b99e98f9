import Synchronization

/// Whether the agent is sure that a checkout's index and working tree still hold exactly its base's
/// tree. Only then may the next task's reset write just what differs between two bases instead of
/// forcing every file back and cleaning (see `Mirror.reuseSpare`).
///
/// It starts sure (after a clone or a reset) and is given up by anything that writes into the checkout,
/// and by any failure of the checkout's own git steps: when in doubt, the full reset.
final class UntouchedTree: Sendable {
    private let sure = Mutex(true)

    /// No longer sure.
    func giveUp() { sure.withLock { $0 = false } }

    var isSure: Bool { sure.withLock { $0 } }
}
