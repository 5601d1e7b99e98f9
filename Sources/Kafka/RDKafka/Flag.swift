import Synchronization

/// A Boolean shared with closures that run on librdkafka's and our own threads.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    /// Sets the flag.
    /// - Returns: whether this call set it (false if it was already set).
    func set() -> Bool { !value.exchange(true, ordering: .acquiringAndReleasing) }
}
