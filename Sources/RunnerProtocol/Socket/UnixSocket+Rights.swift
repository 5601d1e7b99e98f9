import Glibc

/// Passing file descriptors over the socket (`SCM_RIGHTS`). The CMSG_* macros are not visible to Swift,
/// so the control buffer is laid out by hand: a `cmsghdr`, then the fds, each part aligned to `size_t`.
extension UnixSocket {
    /// Most fds accepted in one receive; more is a protocol error (the excess is closed by the kernel).
    package static let maxReceivedFDs = 4

    /// `MSG_CMSG_CLOEXEC` (Linux), hidden by Glibc without _GNU_SOURCE: received fds are close-on-exec.
    private static let receiveCloseOnExec: Int32 = 0x4000_0000

    private static func align(_ length: Int) -> Int {
        let unit = MemoryLayout<Int>.size
        return (length + unit - 1) & ~(unit - 1)
    }

    /// `CMSG_SPACE(count * sizeof(int))`.
    private static func controlSpace(fds count: Int) -> Int {
        align(MemoryLayout<cmsghdr>.size) + align(count * MemoryLayout<Int32>.size)
    }

    /// Sends `bytes`, the first chunk with `fileDescriptor` attached (the kernel duplicates it into the
    /// receiver; the caller keeps its own).
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], passing fileDescriptor: Int32) throws(RunnerSocketError)
    {
        var control = [UInt8](repeating: 0, count: controlSpace(fds: 1))
        let sent: Int = control.withUnsafeMutableBytes { controlBytes in
            let header = controlBytes.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
            header.pointee.cmsg_len = align(MemoryLayout<cmsghdr>.size) + MemoryLayout<Int32>.size
            header.pointee.cmsg_level = SOL_SOCKET
            header.pointee.cmsg_type = Int32(SCM_RIGHTS)
            controlBytes.storeBytes(of: fileDescriptor, toByteOffset: align(MemoryLayout<cmsghdr>.size), as: Int32.self)
            var bytes = bytes
            return bytes.withUnsafeMutableBytes { data in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    return retryingEINTR { sendmsg(fd, &message, Int32(MSG_NOSIGNAL)) }
                }
            }
        }
        guard sent > 0 else { throw RunnerSocketError(call: "sendmsg(SCM_RIGHTS)", errno: errno) }
        if sent < bytes.count { try writeAll(fd, Array(bytes[sent...])) }
    }

    /// Reads up to `buffer.count` bytes (0 at end of stream) and appends any fds that came with them.
    /// - Throws: `RunnerSocketError` when the call fails or fds were dropped for lack of room (`MSG_CTRUNC`).
    package static func read(_ fd: Int32, into buffer: inout [UInt8], receivedFDs: inout [Int32])
        throws(RunnerSocketError)
        -> Int
    {
        var control = [UInt8](repeating: 0, count: controlSpace(fds: maxReceivedFDs))
        var flags: Int32 = 0
        let count: Int = buffer.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    let count = retryingEINTR { recvmsg(fd, &message, receiveCloseOnExec) }
                    flags = message.msg_flags
                    if count >= 0 { receivedFDs += parseRights(controlBytes, length: message.msg_controllen) }
                    return count
                }
            }
        }
        guard count >= 0 else { throw RunnerSocketError(call: "recvmsg", errno: errno) }
        if flags & Int32(MSG_CTRUNC) != 0 { throw RunnerSocketError(call: "recvmsg (too many fds)", errno: EMSGSIZE) }
        return count
    }

    /// The fds in every `SCM_RIGHTS` message of a control buffer.
    private static func parseRights(_ control: UnsafeMutableRawBufferPointer, length: Int) -> [Int32] {
        var fds: [Int32] = []
        var offset = 0
        let headerSize = align(MemoryLayout<cmsghdr>.size)
        while offset + headerSize <= length {
            let header = control.load(fromByteOffset: offset, as: cmsghdr.self)
            guard header.cmsg_len >= headerSize, offset + header.cmsg_len <= length else { break }
            if header.cmsg_level == SOL_SOCKET && header.cmsg_type == Int32(SCM_RIGHTS) {
                let count = (header.cmsg_len - headerSize) / MemoryLayout<Int32>.size
                for index in 0..<count {
                    fds.append(control.load(fromByteOffset: offset + headerSize + index * 4, as: Int32.self))
                }
            }
            offset += align(header.cmsg_len)
        }
        return fds
    }
}
