import Glibc

/// The process's standard streams through read(2) and write(2), for code that must not link Foundation
/// (its `FileHandle` brings all of it, with ICU, into `selfcheck-runner exec`).
public enum StandardStreams {
    /// Everything readable from `fd` until end of file (or the first error).
    public static func readAll(_ fd: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return bytes }
            bytes += chunk[..<count]
        }
    }

    /// Writes all of `bytes` to `fd`; stops at the first error (a closed pipe loses the rest, as a shell would).
    public static func write(_ bytes: some Collection<UInt8>, to fd: Int32) {
        let array = Array(bytes)
        array.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    public static func write(_ text: String, to fd: Int32) { write(text.utf8, to: fd) }
}
