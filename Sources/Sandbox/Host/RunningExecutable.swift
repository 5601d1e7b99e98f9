import Glibc

/// The running executable's path with symbolic links resolved, from the kernel (`/proc/self/exe`): not
/// `argv[0]`, which may be a bare name found on PATH or a link in another folder. Nil when it cannot be read.
/// The profile search and `selfcheck-runner`'s hand-over to `selfcheck-runner-full` both start from it.
public func runningExecutablePath() -> String? { symbolicLinkTarget("/proc/self/exe") }

/// What the symbolic link at `path` holds (readlink(2), not resolved further; FoundationEssentials'
/// `FileManager` costs `exec` more on its first use than the call itself). Nil, with errno set, when it
/// cannot be read.
func symbolicLinkTarget(_ path: String) -> String? {
    var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!, $0.count - 1) }
    guard length > 0 else { return nil }
    return String(decoding: buffer[..<length], as: UTF8.self)
}
