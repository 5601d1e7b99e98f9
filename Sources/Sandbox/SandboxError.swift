import FoundationEssentials
import Glibc

/// The sandbox could not be set up. The job did not run: the sandbox fails closed, never unsandboxed.
public struct SandboxError: Error, Sendable, CustomStringConvertible {
    /// The failed step, e.g. `pivot_root`, `uid_map`, `seccomp compile`, `profile`.
    public var step: String
    /// The errno of the failed call, when there is one.
    public var errno: Int32?
    public var message: String

    public init(step: String, errno: Int32? = nil, message: String = "") {
        self.step = step
        self.errno = errno
        self.message = message
    }

    public var description: String {
        var text = "sandbox set-up failed at \(step)"
        if let errno { text += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        if !message.isEmpty { text += ": \(message)" }
        return text
    }
}

/// What went wrong in a FoundationEssentials file call, as the system says it ("No such file or directory"):
/// its errors carry the errno but no readable text.
func describeFileError(_ error: any Error) -> String {
    if let cocoa = error as? CocoaError, let posix = cocoa.underlying as? POSIXError {
        return String(cString: strerror(posix.code.rawValue))
    }
    return "\(error)"
}
