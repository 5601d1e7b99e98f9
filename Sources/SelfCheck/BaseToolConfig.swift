import Foundation

/// black's and ruff's configuration at the base commit, read from the checkout (the overlay's lower
/// layer, which the patch never writes). Both tools are given it explicitly, so a configuration file
/// the patch adds or edits is never discovered: the patched files are judged by the base's rules.
struct BaseToolConfig: Sendable, Hashable {
    /// The base's root pyproject.toml, black's only configuration (empty: black's defaults).
    var black: Data
    /// The file ruff finds at the base's root — `.ruff.toml`, `ruff.toml`, then `pyproject.toml` —
    /// under the name ruff parses it by; nil when there is none (ruff then runs `--isolated`).
    var ruff: (name: String, content: Data)?

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.black == rhs.black && lhs.ruff?.name == rhs.ruff?.name && lhs.ruff?.content == rhs.ruff?.content
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(black)
        hasher.combine(ruff?.name)
        hasher.combine(ruff?.content)
    }

    init(black: Data, ruff: (name: String, content: Data)?) {
        self.black = black
        self.ruff = ruff
    }

    init(checkout: URL) {
        let pyproject = BaseFile.read(checkout, "pyproject.toml")
        black = pyproject ?? Data()
        if let file = BaseFile.read(checkout, ".ruff.toml") ?? BaseFile.read(checkout, "ruff.toml") {
            ruff = ("ruff.toml", file)
        } else if let pyproject {
            ruff = ("pyproject.toml", pyproject)
        } else {
            ruff = nil
        }
    }
}

/// Reads a repo-relative file of the checkout without following a symlink in any component (a
/// repository's `pyproject.toml -> /etc/shadow` must not hand a host file to the tools), and only when it
/// is a regular file of reasonable size.
enum BaseFile {
    static let maxBytes = 1 << 20

    static func read(_ root: URL, _ relativePath: String) -> Data? {
        let components = relativePath.split(separator: "/").map(String.init)
        guard !components.isEmpty, !components.contains(where: { $0 == ".." || $0 == "." }) else { return nil }
        var directory = open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return nil }
        for component in components.dropLast() {
            let next = openat(directory, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            close(directory)
            guard next >= 0 else { return nil }
            directory = next
        }
        let descriptor = openat(
            directory, components[components.count - 1], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        close(directory)
        guard descriptor >= 0 else { return nil }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= maxBytes else {
            return nil
        }
        return (try? handle.readToEnd()) ?? Data()
    }
}
