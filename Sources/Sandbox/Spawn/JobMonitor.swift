import CSandbox
import FoundationEssentials
import Glibc

/// The parent's side of a running job: one poll() loop over the output pipe, the status pipe, the pidfd
/// of pid 1, the cancellation eventfd and stdin; enforces wall time, output size and cgroup events.
/// Killing pid 1 kills every process of the job (it is the init of the job's pid namespace).
struct JobMonitor {
    struct SetupFailure {
        var step: Int32
        var errno: Int32
        var detail: Int64
    }

    struct Result {
        var setupFailure: SetupFailure?
        var jobStatus: Int32?
        var initSignal: Int32?
        var limitHit: LimitKind?
        var cancelled = false
        var wallTime: Duration = .zero
        var cpuMicroseconds: Int64 = 0
        var maxRSSKB: UInt64 = 0
        var output: [UInt8] = []
        var outputTruncated = false
        /// Pid 1 reported the job's end and closed its pipes, but may still be exiting: `reapInit` waits.
        var initPending = false
    }

    let pid: Int32
    let pidfd: Int32
    let status: Int32
    let output: Int32
    var input: Int32?
    let stdinBytes: [UInt8]
    let cancel: Int32
    let limits: SandboxLimits
    let tailBytes: Int
    let cgroups: (any JobCgroup)?
    let onOutput: (@Sendable ([UInt8]) -> Void)?
    let started: ContinuousClock.Instant

    private var result = Result()
    private var killed = false
    private var hardKillAt: ContinuousClock.Instant?
    private var statusBuffer: [UInt8] = []

    init(
        pid: Int32, pidfd: Int32, status: Int32, output: Int32, input: Int32?, stdinBytes: [UInt8], cancel: Int32,
        limits: SandboxLimits, tailBytes: Int, cgroups: (any JobCgroup)?, onOutput: (@Sendable ([UInt8]) -> Void)?,
        started: ContinuousClock.Instant
    ) {
        self.pid = pid
        self.pidfd = pidfd
        self.status = status
        self.output = output
        self.input = input
        self.stdinBytes = stdinBytes
        self.cancel = cancel
        self.limits = limits
        self.tailBytes = tailBytes
        self.cgroups = cgroups
        self.onOutput = onOutput
        self.started = started
    }

    mutating func run() -> Result {
        var buffer = OutputBuffer(capacity: tailBytes)
        var outputOpen = true
        var statusOpen = true
        var exited = false
        var written = 0
        var exitedAt: ContinuousClock.Instant?
        if let input { setNonBlocking(input) }
        if stdinBytes.isEmpty, let input {
            close(input)
            self.input = nil
        }
        let deadline = limits.wallTimeMs.map { started + .milliseconds(Int64($0)) }
        var chunk = [UInt8](repeating: 0, count: 65536)

        // Done when pid 1 has exited, or has reported the job's end and closed its pipes: its own exit (this
        // copy of the runner's memory, the namespaces) then need not be waited for.
        while outputOpen || statusOpen || !(exited || result.jobStatus != nil) {
            // A process cannot hold the pipes once pid 1 is gone; this only guards against surprises.
            if let exitedAt, ContinuousClock.now - exitedAt > .seconds(2) { break }
            // A tuple, not an Array: an array of an imported C struct costs its first use (every `exec`) a
            // run-time type look-up of about 0.08 ms.
            var fds = (
                pollfd(fd: exited ? -1 : pidfd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: outputOpen ? output : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: statusOpen ? status : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: killed ? -1 : cancel, events: Int16(POLLIN), revents: 0),
                pollfd(fd: input ?? -1, events: Int16(POLLOUT), revents: 0)
            )
            var timeout: Int32 = cgroups == nil && hardKillAt == nil ? 1000 : 100
            if let deadline, !killed {
                let left = deadline - .now
                timeout = min(
                    timeout,
                    max(0, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            }
            let ready = withUnsafeMutableBytes(of: &fds) {
                poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), 5, timeout)
            }
            if ready < 0 && errno != EINTR { break }

            if fds.1.revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                if n > 0 {
                    chunk.withUnsafeBytes { buffer.append(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                    onOutput?(Array(chunk[..<n]))
                    if let cap = limits.outputBytes, buffer.total > cap { stop(.output) }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    outputOpen = false
                }
            }
            if fds.2.revents != 0 { statusOpen = readStatus() }
            if fds.3.revents != 0 {
                result.cancelled = true
                stop(nil)
            }
            if let input, fds.4.revents != 0 {
                // A job may exit without reading its input: that is EPIPE here, never a SIGPIPE that kills the runner.
                let n = stdinBytes.withUnsafeBytes {
                    csb_write_without_sigpipe(input, $0.baseAddress! + written, $0.count - written)
                }
                if n > 0 { written += n }
                if n < 0 && n != -EAGAIN && n != -EINTR || written == stdinBytes.count {
                    close(input)
                    self.input = nil
                }
            }
            if fds.0.revents != 0 && !exited {
                exited = true
                exitedAt = .now
                result.wallTime = ContinuousClock.now - started
            }
            if !exited, let hardKillAt, ContinuousClock.now >= hardKillAt {
                _ = csb_pidfd_kill(pidfd, SIGKILL)
                self.hardKillAt = nil
            }
            if !exited, !killed, result.jobStatus == nil {  // once the job has ended, `finish` reads the OOM count
                if let deadline, ContinuousClock.now >= deadline { stop(.wallTime) }
                if let cgroups, cgroups.oomKills > 0 { stop(.memory) }
            }
        }
        if let input { close(input) }
        if exited {
            reap()
        } else {
            result.initPending = true
            result.wallTime = ContinuousClock.now - started
        }
        result.output = buffer.bytes
        result.outputTruncated = buffer.truncated
        return result
    }

    /// Stops the whole job and records why: pid 1 kills the tree on SIGTERM (keeping its CPU accounting);
    /// should it not be gone within a second, SIGKILL to pid 1 ends the namespace anyway.
    private mutating func stop(_ limit: LimitKind?) {
        if result.limitHit == nil, let limit { result.limitHit = limit }
        guard !killed else { return }
        killed = true
        hardKillAt = .now + .seconds(1)
        _ = csb_pidfd_kill(pidfd, SIGTERM)
    }

    private mutating func readStatus() -> Bool {
        var bytes = [UInt8](repeating: 0, count: 512)
        let n = bytes.withUnsafeMutableBytes { read(status, $0.baseAddress, $0.count) }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return true }
        guard n > 0 else { return false }
        statusBuffer += bytes[..<n]
        let size = MemoryLayout<csb_record>.size
        while statusBuffer.count >= size {
            let record = statusBuffer.withUnsafeBytes { $0.loadUnaligned(as: csb_record.self) }
            statusBuffer.removeFirst(size)
            handle(record)
        }
        return true
    }

    private mutating func handle(_ record: csb_record) {
        switch UInt32(record.kind) {
        case CSB_RECORD_SETUP_FAILED.rawValue:
            if result.setupFailure == nil {
                result.setupFailure = SetupFailure(step: record.code, errno: Int32(record.value), detail: record.extra)
            }
        case CSB_RECORD_LIMIT.rawValue:
            switch UInt32(record.code) {
            case CSB_LIMIT_CPU.rawValue: stop(.cpuTime)
            case CSB_LIMIT_MEMORY.rawValue: stop(.memory)
            case CSB_LIMIT_PIDS.rawValue: stop(.pids)
            default: break
            }
        case CSB_RECORD_EXIT.rawValue:
            result.jobStatus = record.code
        case CSB_RECORD_USAGE.rawValue:
            result.cpuMicroseconds = max(result.cpuMicroseconds, record.value)
            result.maxRSSKB = max(result.maxRSSKB, UInt64(max(record.extra, 0)))
        default:
            break
        }
    }

    /// wait4() on pid 1: its usage includes every process it reaped.
    private mutating func reap() {
        var status: Int32 = 0
        var cpu: Int64 = 0
        var rss: Int64 = 0
        guard csb_wait(pid, &status, &cpu, &rss) == 0 else { return }
        if status & 0x7f != 0 { result.initSignal = status & 0x7f }
        result.cpuMicroseconds = max(result.cpuMicroseconds, cpu)
        result.maxRSSKB = max(result.maxRSSKB, UInt64(max(rss, 0)))
        if result.wallTime == .zero { result.wallTime = ContinuousClock.now - started }
    }

    /// Waits for pid 1 to exit, when the job's result did not (`Result.initPending`).
    static func reapInit(_ pid: Int32) {
        var status: Int32 = 0
        var cpu: Int64 = 0
        var rss: Int64 = 0
        _ = csb_wait(pid, &status, &cpu, &rss)
    }
}
