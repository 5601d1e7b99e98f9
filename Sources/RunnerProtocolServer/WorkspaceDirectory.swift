import Glibc

/// A directory the client passed with `SCM_RIGHTS` alongside its check request (the workspace). It owns
/// the received fd and closes it when released, i.e. after the job.
public final class WorkspaceDirectory: Sendable {
    public let fileDescriptor: Int32

    /// Takes ownership of `fileDescriptor`.
    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    deinit {
        close(fileDescriptor)
    }

    /// A path naming the directory while this object lives, for tools that want a path
    /// (`/proc/self/fd/N`); prefer `openat(fileDescriptor, …)` in new code.
    public var path: String { "/proc/self/fd/\(fileDescriptor)" }

    /// Whether the fd refers to a directory.
    var isDirectory: Bool {
        var info = stat()
        return fstat(fileDescriptor, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
