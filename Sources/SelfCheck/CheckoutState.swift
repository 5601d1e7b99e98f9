import Foundation

/// Whether a checkout is clean, and a key for what it holds, read by the runner's own code: no git runs
/// on the host (a checkout's `.git/config` can name commands git would run), and nothing is written
/// (`git status` would rewrite `.git/index`). Conservative: whatever it cannot prove clean counts as
/// dirty, which only costs a baseline-cache miss.
enum CheckoutState {
    /// A key naming the checkout's content (a hash of its index entries: path, mode, blob id) when every
    /// tracked file matches the index and no file outside it is present (apart from ignored ones), nil
    /// otherwise.
    static func cleanKey(_ checkout: URL) -> String? {
        let root = checkout.path
        let gitDirectory = root + "/.git"
        guard isDirectory(gitDirectory),
            let config = readRegularFile(gitDirectory + "/config", limit: 1 << 20),
            // A SHA-256 repository, or a work tree kept elsewhere: not worth reading; never cached.
            !String(decoding: config, as: UTF8.self).lowercased().contains("objectformat"),
            !String(decoding: config, as: UTF8.self).lowercased().contains("worktree"),
            let index = GitIndex.read(gitDirectory + "/index")
        else { return nil }
        var directories: Set<String> = [""]
        var tracked: Set<String> = []
        var key = SHA1()
        for entry in index.entries {
            guard entry.isPlain, isSafe(entry.path),
                entryMatches(entry, root: root, directories: &directories, index: index)
            else { return nil }
            tracked.insert(entry.path)
            key.update(Array("\(String(entry.mode, radix: 8)) \(entry.path)\0".utf8) + entry.objectID)
        }
        let ignore = IgnoreRules(root: root)
        guard onlyIgnoredUntracked(root, tracked: tracked, directories: directories, ignore: ignore) else { return nil }
        return "index " + hexDigits(key.finish())
    }

    /// Entry paths as git writes them: relative, no empty, `.` or `..` component, nothing in `.git`.
    private static func isSafe(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/")
            && !path.split(separator: "/", omittingEmptySubsequences: false).contains {
                $0.isEmpty || $0 == "." || $0 == ".." || $0.lowercased() == ".git"
            }
    }

    /// Whether the file at `entry.path` is what the index records: type, executable bit, size, inode and
    /// mtime; a file modified in the index's own timestamp granule ("racy") is hashed instead.
    private static func entryMatches(
        _ entry: GitIndex.Entry, root: String, directories: inout Set<String>, index: GitIndex
    ) -> Bool {
        // Every parent must be a real directory, so no symbolic link leads the walk out of the checkout.
        var parent = ""
        for component in entry.path.split(separator: "/").dropLast() {
            parent = parent.isEmpty ? String(component) : parent + "/" + component
            if directories.contains(parent) { continue }
            guard isDirectory(root + "/" + parent) else { return false }
            directories.insert(parent)
        }
        let path = root + "/" + entry.path
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        switch entry.mode & 0o170000 {
        case 0o100000:
            guard type == S_IFREG, (info.st_mode & 0o100 != 0) == (entry.mode & 0o100 != 0) else { return false }
        case 0o120000: guard type == S_IFLNK else { return false }
        default: return false
        }
        guard UInt32(truncatingIfNeeded: info.st_size) == entry.size else { return false }
        let statMatches =
            UInt32(truncatingIfNeeded: info.st_mtim.tv_sec) == entry.mtimeSeconds
            && UInt32(truncatingIfNeeded: info.st_mtim.tv_nsec) == entry.mtimeNanoseconds
            && UInt32(truncatingIfNeeded: info.st_ino) == entry.inode
        guard statMatches else { return false }
        let racy = (info.st_mtim.tv_sec, info.st_mtim.tv_nsec) >= (index.modified.tv_sec, index.modified.tv_nsec)
        guard racy else { return true }
        let contents: [UInt8]?
        if type == S_IFLNK {
            contents = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { Array($0.utf8) }
        } else {
            contents = readRegularFile(path, limit: Int(entry.size) + 1)
        }
        guard let contents else { return false }
        return SHA1.blobID(contents) == entry.objectID
    }

    /// Walks the work tree (not `.git`): every file must be tracked or ignored. Iterative, so a deeply
    /// nested repository cannot exhaust the stack.
    private static func onlyIgnoredUntracked(
        _ root: String, tracked: Set<String>, directories: Set<String>, ignore: IgnoreRules
    ) -> Bool {
        var pending = [""]
        while let relative = pending.popLast() {
            guard let stream = opendir(relative.isEmpty ? root : root + "/" + relative) else { return false }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard name != ".", name != ".." else { continue }
                if relative.isEmpty && name == ".git" { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                let isDirectory = Int32(entry.pointee.d_type) == Int32(DT_DIR)
                if isDirectory && directories.contains(path) {
                    pending.append(path)
                } else if !tracked.contains(path)
                    && !ignore.ignores(name: name, atTop: relative.isEmpty, isDirectory: isDirectory)
                {
                    return false
                }
            }
        }
        return true
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The file's bytes when it is a regular file (not through a symbolic link) of at most `limit` bytes.
    static func readRegularFile(_ path: String, limit: Int) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= limit else {
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + done, $0.count - done) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            done += count
        }
        return bytes
    }
}

/// What counts as ignored when looking for untracked files: Python's caches, and the plain name patterns
/// of the top-level `.gitignore` (`name`, `*.ext`, `dir/`, `/top`). A pattern with an inner slash is
/// not understood and ignores nothing; a `.gitignore` with a negation (`!`) is not used at all. Both only
/// make a checkout look dirty more often.
struct IgnoreRules {
    struct Pattern {
        var glob: String
        var anchored: Bool
        var directoryOnly: Bool
    }

    private(set) var patterns: [Pattern] = ["__pycache__/", "*.pyc", ".pytest_cache/", ".ruff_cache/", ".mypy_cache/"]
        .map {
            Pattern(glob: String($0.trimmingSuffix("/")), anchored: false, directoryOnly: $0.hasSuffix("/"))
        }

    init(root: String) {
        guard let bytes = CheckoutState.readRegularFile(root + "/.gitignore", limit: 1 << 20) else { return }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !lines.contains(where: { $0.hasPrefix("!") }) else { return }
        for line in lines where !line.isEmpty && !line.hasPrefix("#") {
            var glob = Substring(line)
            let directoryOnly = glob.hasSuffix("/")
            if directoryOnly { glob = glob.dropLast() }
            let anchored = glob.hasPrefix("/")
            if anchored { glob = glob.dropFirst() }
            guard !glob.isEmpty, !glob.contains("/"), !glob.contains("\\") else { continue }
            patterns.append(Pattern(glob: String(glob), anchored: anchored, directoryOnly: directoryOnly))
        }
    }

    func ignores(name: String, atTop: Bool, isDirectory: Bool) -> Bool {
        patterns.contains { pattern in
            (!pattern.anchored || atTop) && (!pattern.directoryOnly || isDirectory)
                && fnmatch(pattern.glob, name, 0) == 0
        }
    }
}

private extension String {
    func trimmingSuffix(_ suffix: String) -> Substring { hasSuffix(suffix) ? dropLast(suffix.count) : Substring(self) }
}
