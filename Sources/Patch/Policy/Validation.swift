import Foundation

/// The safety policy: everything here is decided from the parsed patch and `lstat` of the base tree,
/// before any file content is read or any command runs.
enum Validation {
    static func validate(_ patch: PatchSet, policy: PatchPolicy, tree: URL) throws(PatchError) {
        guard !patch.files.isEmpty else {
            throw PatchError(.empty, "The diff is empty: it changes no file.")
        }
        if patch.byteCount > policy.maxBytes {
            throw PatchError(
                .tooLarge,
                "The diff is \(patch.byteCount) bytes, more than the limit of \(policy.maxBytes); make a smaller change."
            )
        }
        if patch.files.count > policy.maxFiles {
            throw PatchError(
                .tooManyFiles,
                "The diff touches \(patch.files.count) files, more than the limit of \(policy.maxFiles); make a smaller change."
            )
        }
        let root = TreeInspector(tree: tree)
        for file in patch.files {
            try checkShape(file)
            for path in [file.oldPath, file.newPath].compactMap(\.self) {
                try checkPath(path, file: file)
                try checkProtected(path, file: file, policy: policy)
                try root.checkOnDisk(path, file: file)
            }
        }
    }

    /// Binary data, copies, and modes other than regular files.
    static func checkShape(_ file: FilePatch) throws(PatchError) {
        let path = file.displayPath
        if file.isBinary {
            throw PatchError(
                .binary, path: path, line: file.diffLine,
                "\(path): binary patches are not accepted; change text files only.")
        }
        if file.isCopy {
            throw PatchError(
                .unsupported, path: path, line: file.diffLine,
                "\(path): copy patches are not supported; create the new file with `--- /dev/null` instead.")
        }
        for mode in [file.oldMode, file.newMode].compactMap(\.self) {
            switch mode {
            case "100644", "100755", "100664": continue
            case "120000":
                throw PatchError(
                    .symlink, path: path, line: file.diffLine,
                    "\(path): symbolic links may not be created or changed (mode 120000).")
            default:
                throw PatchError(
                    .specialFile, path: path, line: file.diffLine,
                    "\(path): mode \(mode) is not a regular file (100644 or 100755); submodules and special files may not be changed."
                )
            }
        }
    }

    /// CI configuration, git attributes and hook files: the policy's `protectedPaths`.
    static func checkProtected(_ path: String, file: FilePatch, policy: PatchPolicy) throws(PatchError) {
        guard let rule = policy.protectedPaths.first(where: { $0.matches(path) }) else { return }
        throw PatchError(
            .protectedPath, path: path, line: file.diffLine,
            "\(path): `\(rule)` is protected (CI configuration, git attributes or hooks); change source files only.")
    }

    /// Paths must stay inside the tree by their spelling alone.
    static func checkPath(_ path: String, file: FilePatch) throws(PatchError) {
        let at = file.diffLine
        if path.isEmpty || path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw PatchError(
                .badPath, path: path, line: at,
                "The path `\(path.debugDescription)` is empty or holds control characters.")
        }
        if path.hasPrefix("/") || path.hasPrefix("~") || path.hasPrefix("\\") || path.dropFirst().hasPrefix(":") {
            throw PatchError(
                .absolutePath, path: path, line: at,
                "\(path): absolute paths are not allowed; use a path relative to the repository root.")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") || path.contains("\\..") {
            throw PatchError(
                .dotDot, path: path, line: at,
                "\(path): `..` may not appear in a path; use a path relative to the repository root.")
        }
        if components.contains(where: { $0.lowercased() == ".git" }) {
            throw PatchError(.gitDir, path: path, line: at, "\(path): files under `.git` may not be changed.")
        }
        if components.contains(where: { $0.isEmpty || $0 == "." }) {
            throw PatchError(
                .badPath, path: path, line: at,
                "\(path): the path has an empty or `.` component; write it as a plain relative path.")
        }
    }
}

/// Looks at the base tree with `lstat` only: never follows a symlink, never writes.
struct TreeInspector {
    let root: String

    init(tree: URL) {
        // Resolve the tree itself once, so a tree reached through a symlink (e.g. /tmp on macOS) still works.
        root = tree.resolvingSymlinksInPath().path
    }

    enum Kind { case missing, regular, directory, symlink, special }

    func kind(of relativePath: String) -> Kind {
        var info = stat()
        guard lstat(root + "/" + relativePath, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .special
        }
    }

    /// Every existing component must be a real directory, and the file itself a regular file (or absent).
    func checkOnDisk(_ path: String, file: FilePatch) throws(PatchError) {
        let components = path.split(separator: "/").map(String.init)
        var prefix = ""
        for (offset, component) in components.enumerated() {
            prefix = prefix.isEmpty ? component : prefix + "/" + component
            let isLast = offset == components.count - 1
            switch kind(of: prefix) {
            case .missing:
                return
            case .symlink:
                if escapes(prefix) {
                    throw PatchError(
                        .symlinkEscape, path: path, line: file.diffLine,
                        "\(path): `\(prefix)` is a symbolic link that points outside the repository.")
                }
                throw PatchError(
                    .symlink, path: path, line: file.diffLine,
                    isLast
                        ? "\(path) is a symbolic link; symbolic links may not be changed."
                        : "\(path): `\(prefix)` is a symbolic link; paths through symbolic links may not be changed.")
            case .directory where isLast:
                throw PatchError(.specialFile, path: path, line: file.diffLine, "\(path) is a directory, not a file.")
            case .special:
                throw PatchError(
                    .specialFile, path: path, line: file.diffLine,
                    "\(path): `\(prefix)` is a device, socket or pipe, not a regular file.")
            case .regular where !isLast:
                throw PatchError(
                    .fileExists, path: path, line: file.diffLine,
                    "\(path): `\(prefix)` is a file, so it cannot be a directory.")
            case .regular, .directory:
                continue
            }
        }
    }

    /// " (did you mean `x`?)" when files with the same name exist, for a retry's benefit; empty otherwise.
    /// Only run on the error path: it walks the tree (skipping `.git`, at most 20 000 entries).
    func suggestion(for missingPath: String) -> String {
        let name = (missingPath as NSString).lastPathComponent
        guard let walker = FileManager.default.enumerator(atPath: root) else { return "" }
        var matches: [String] = []
        var visited = 0
        // Bounded, in case the file system walk meets something huge.
        while visited < 20_000, let path = walker.nextObject() as? String, matches.count < 4 {
            visited += 1
            if path == ".git" || path.hasSuffix("/.git") { walker.skipDescendants() }
            if (path as NSString).lastPathComponent == name, kind(of: path) == .regular { matches.append(path) }
        }
        guard !matches.isEmpty else { return "" }
        return " (did you mean " + matches.prefix(3).map { "`\($0)`" }.joined(separator: " or ") + "?)"
    }

    /// Whether a symlink in the tree resolves to somewhere outside it. A dangling link is followed by its
    /// spelling, so a link to a not-yet-existing outside path still counts as escaping.
    private func escapes(_ relativePath: String) -> Bool {
        var path = root + "/" + relativePath
        for _ in 0..<40 {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { break }
            let base = (path as NSString).deletingLastPathComponent
            path = ((target.hasPrefix("/") ? target : base + "/" + target) as NSString).standardizingPath
            if let real = realpath(path, nil) {
                path = String(cString: real)
                free(real)
                break
            }
        }
        return !(path == root || path.hasPrefix(root + "/"))
    }
}
