import Foundation

/// Runs `git apply --check` on a diff, away from the checkout: the files the diff touches are copied
/// into a fresh folder that is no git repository, and git runs there (one level above the copy, with
/// `--directory`, so no copied `HEAD`, `refs/` and `config` can make the folder look like a bare repository). So git reads none of the
/// checkout's own configuration (`.git/config` can name commands: filters, fsmonitor) and writes
/// nothing to it; `HostGit` scrubs the environment, so the caller's configuration plays no part either.
enum GitApply {
    struct Outcome {
        var succeeded: Bool
        var errors: String
    }

    /// - Parameter paths: the tree-relative paths the diff reads or writes (already validated: no `..`,
    ///   nothing under `.git`, no symbolic link on the way).
    static func check(_ diff: String, in tree: URL, paths: [String]) -> Outcome {
        let scratch: URL
        do { scratch = try makeScratchDirectory() } catch {
            return Outcome(succeeded: false, errors: "cannot make a temporary folder: \(error)")
        }
        defer { try? FileManager.default.removeItem(at: scratch) }
        let work = scratch.appendingPathComponent("work")
        let copy = work.appendingPathComponent(copyName)
        // The diff goes through a file rather than a pipe: a git that exits early cannot then kill us
        // with SIGPIPE.
        let patchFile = scratch.appendingPathComponent("patch.diff")
        do {
            try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
            for path in Set(paths) { try copyRegularFile(path, from: tree, to: copy) }
            try writeScratchFile(patchFile.path, Array(diff.utf8), mode: 0o644)
        } catch {
            return Outcome(succeeded: false, errors: "cannot copy the touched files: \(error)")
        }
        do {
            let output = try HostGit.run(
                ["apply", "--check", "--directory=\(copyName)", patchFile.path], in: work,
                capture: .standardError)
            return Outcome(
                succeeded: output.succeeded, errors: output.text.replacingOccurrences(of: copyName + "/", with: ""))
        } catch {
            return Outcome(succeeded: false, errors: "cannot run git: \(error)")
        }
    }

    /// The copy's folder name, taken out of git's messages again.
    private static let copyName = "selfcheck-base-copy"

    /// Scratch folders are `patch-check-<pid>-XXXXXX` in TMPDIR: the pid lets `PatchScratch.sweepStale` tell a
    /// dead runner's (SIGKILL mid-check: its `defer` never ran) from a live one's.
    static let scratchPrefix = "patch-check-"

    private static func makeScratchDirectory() throws -> URL {
        var template = Array(
            (FileManager.default.temporaryDirectory.path + "/\(scratchPrefix)\(getpid())-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(
                .fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "mkdtemp: \(String(cString: strerror(errno)))"]
            )
        }
        return URL(fileURLWithPath: String(cString: made))
    }

    /// Copies `path` with its executable bit when it is a regular file of the tree; a path that is
    /// missing (a new file) is left out, and anything else (a link, a device) is not followed.
    private static func copyRegularFile(_ path: String, from tree: URL, to copy: URL) throws {
        guard !path.split(separator: "/").contains(where: { $0 == ".git" || $0 == ".." }) else { return }
        let source = tree.appendingPathComponent(path).path
        let descriptor = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return }
        let data = try handle.readToEnd() ?? Data()
        let target = copy.appendingPathComponent(path)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try writeScratchFile(target.path, Array(data), mode: info.st_mode & 0o111 != 0 ? 0o755 : 0o644)
    }

    /// Creates `path` (which must not exist) holding `bytes`. Not `Data.write`, which also fsyncs: these
    /// copies live for one `git apply --check`, and the fsyncs were most of the engine's time on a disk.
    private static func writeScratchFile(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            written += count
        }
        // The umask may have narrowed `mode`; git reads the executable bit.
        fchmod(descriptor, mode)
    }
}

/// The patch engine's scratch folders left by runners that died mid-check.
public enum PatchScratch {
    /// Removes the `git apply --check` scratch folders of processes that no longer exist from `directory`
    /// (TMPDIR by default). Like the workspace sweep, it trusts nothing found there: only real directories
    /// this process's uid owns are removed, and links inside are removed, not followed.
    /// - Returns: the folders removed.
    @discardableResult
    public static func sweepStale(in directory: URL = FileManager.default.temporaryDirectory) -> [URL] {
        var removed: [URL] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        where name.hasPrefix(GitApply.scratchPrefix) {
            let parts = name.dropFirst(GitApply.scratchPrefix.count).split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let folder = directory.appendingPathComponent(name)
            var info = stat()
            guard lstat(folder.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == geteuid() else {
                continue
            }
            if (try? FileManager.default.removeItem(at: folder)) != nil { removed.append(folder) }
        }
        return removed
    }
}
