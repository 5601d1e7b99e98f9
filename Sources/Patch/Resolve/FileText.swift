import Foundation

/// A text file of the base tree, split into lines.
struct FileText {
    /// Lines without their `\n` (a CRLF file keeps its `\r`, so rendered context matches byte for byte).
    var lines: [String]
    /// The lines without a trailing `\r`: what the model's (LF-normalised) lines are compared with.
    var keys: [String]
    var endsWithNewline: Bool
    /// Most lines end in CRLF: added lines get a `\r` too.
    var usesCRLF: Bool
    var mode: String

    /// Reads `path` below `root`.
    /// - Throws: `binary` when the file holds NUL bytes or is not UTF-8; `file-missing` when unreadable.
    static func read(_ path: String, root: String) throws(PatchError) -> FileText {
        let fullPath = root + "/" + path
        guard let data = FileManager.default.contents(atPath: fullPath) else {
            throw PatchError(.fileMissing, path: path, "\(path) cannot be read.")
        }
        if data.contains(0) {
            throw PatchError(.binary, path: path, "\(path) is a binary file; only text files can be patched.")
        }
        guard String(data: data, encoding: .utf8) != nil else {
            throw PatchError(.binary, path: path, "\(path) is not UTF-8 text; only UTF-8 text files can be patched.")
        }
        // Split on the byte: as a String, "\r\n" is one Character and would not split on "\n".
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let endsWithNewline = lines.last == ""
        if endsWithNewline { lines.removeLast() }
        let crlfCount = lines.count { $0.hasSuffix("\r") }
        let keys = crlfCount == 0 ? lines : lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        var info = stat()
        let executable = stat(fullPath, &info) == 0 && info.st_mode & 0o111 != 0
        return FileText(
            lines: lines, keys: keys, endsWithNewline: endsWithNewline || data.isEmpty,
            usesCRLF: crlfCount * 2 > lines.count, mode: executable ? "100755" : "100644")
    }

    /// Lines with whitespace runs collapsed and ends trimmed: how drifted context is compared.
    var normalizedKeys: [String] { keys.map(FileText.normalize) }

    static func normalize(_ line: String) -> String {
        line.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
