import Glibc

/// The running executable's path with symbolic links resolved, from the kernel (`/proc/self/exe`): not
/// `argv[0]`, which may be a bare name found on PATH or a link in another folder. Nil when it cannot be read.
/// The profile search and `selfcheck-runner`'s hand-over to `selfcheck-runner-full` both start from it.
public func runningExecutablePath() -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard length > 0 else { return nil }
    return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
