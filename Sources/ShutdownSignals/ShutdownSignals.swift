import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT turned into calls of a handler, for the executables' graceful shutdown. The
/// default action is switched off while it is installed, so the process is not killed before the
/// handler runs.
public final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    /// - Parameter onSignal: called with the signal's number, once per delivered signal.
    public init(onSignal: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "shutdown-signals")
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { onSignal(number) }
            source.resume()
            return source
        }
    }

    public func cancel() { sources.forEach { $0.cancel() } }

    /// Waits for the first SIGTERM or SIGINT and returns its number.
    public static func next() async -> Int32 {
        let resumed = Mutex(false)
        var signals: ShutdownSignals?
        let number = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            signals = ShutdownSignals { number in
                let first = resumed.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: number) }
            }
        }
        signals?.cancel()
        return number
    }
}
