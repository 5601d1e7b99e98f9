import CSandbox
import FoundationEssentials
import Glibc

/// A close-on-exec pipe; either end can be closed early.
final class Pipe2 {
    private(set) var readEnd: Int32
    private(set) var writeEnd: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        let result = csb_pipe(&fds)
        guard result == 0 else { throw SandboxError(step: "pipe2", errno: -result) }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    func closeRead() {
        if readEnd >= 0 {
            close(readEnd)
            readEnd = -1
        }
    }
    /// Hands the write end to the caller, who closes it.
    func takeWrite() -> Int32 {
        defer { writeEnd = -1 }
        return writeEnd
    }

    func closeWrite() {
        if writeEnd >= 0 {
            close(writeEnd)
            writeEnd = -1
        }
    }
    deinit {
        closeRead()
        closeWrite()
    }
}

/// An eventfd that another thread fires to stop a job (task cancellation).
final class CancelSignal: Sendable {
    let fd: Int32

    init() throws {
        fd = csb_eventfd()
        guard fd >= 0 else { throw SandboxError(step: "eventfd", errno: -fd) }
    }

    func fire() {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }

    deinit { close(fd) }
}

/// Sets O_NONBLOCK on a descriptor.
func setNonBlocking(_ fd: Int32) {
    let flags = fcntl(fd, F_GETFL)
    _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
}
