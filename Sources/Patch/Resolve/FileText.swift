import Foundation

/// A text file of the base tree, indexed by line. Lines become Strings only when asked for: on a clean
/// diff only the hunks' own lines and their context are ever materialised.
final class FileText {
    private let bytes: [UInt8]
    /// Byte range of each line, without its `\n`.
    private let ranges: [Range<Int>]
    let endsWithNewline: Bool
    /// Most lines end in CRLF: added lines get a `\r` too.
    let usesCRLF: Bool
    let mode: String

    var lineCount: Int { ranges.count }

    private init(bytes: [UInt8], ranges: [Range<Int>], endsWithNewline: Bool, usesCRLF: Bool, mode: String) {
        self.bytes = bytes
        self.ranges = ranges
        self.endsWithNewline = endsWithNewline
        self.usesCRLF = usesCRLF
        self.mode = mode
    }

    /// Reads `path` below `root`.
    /// - Throws: `binary` when the file holds NUL bytes or is not UTF-8; `file-missing` when unreadable.
    static func read(_ path: String, root: String) throws(PatchError) -> FileText {
        let fullPath = root + "/" + path
        guard let data = FileManager.default.contents(atPath: fullPath) else {
            throw PatchError(.fileMissing, path: path, "\(path) cannot be read.")
        }
        let bytes = [UInt8](data)
        guard !bytes.contains(0), String(validating: bytes, as: UTF8.self) != nil else {
            throw PatchError(
                .binary, path: path, "\(path) is binary or not UTF-8 text; only UTF-8 text files can be patched.")
        }
        var ranges: [Range<Int>] = []
        var start = 0
        var crlfCount = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            ranges.append(start..<index)
            if index > start, bytes[index - 1] == 0x0D { crlfCount += 1 }
            start = index + 1
        }
        let endsWithNewline = start == bytes.count
        if !endsWithNewline { ranges.append(start..<bytes.count) }
        var info = stat()
        let executable = stat(fullPath, &info) == 0 && info.st_mode & 0o111 != 0
        return FileText(
            bytes: bytes, ranges: ranges, endsWithNewline: endsWithNewline,
            usesCRLF: crlfCount * 2 > ranges.count, mode: executable ? "100755" : "100644")
    }

    /// Line `index` exactly as on disk (a CRLF file keeps its `\r`), so rendered context matches byte for byte.
    func line(_ index: Int) -> String {
        bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[ranges[index]]), as: UTF8.self)
        }
    }

    /// Whether line `index`, without a trailing `\r`, is `text` (the model's lines arrive LF-normalised).
    func key(_ index: Int, equals text: String) -> Bool {
        let range = keyRange(index)
        var text = text
        return text.withUTF8 { model in
            model.count == range.count
                && (model.isEmpty
                    || bytes.withUnsafeBufferPointer {
                        memcmp($0.baseAddress! + range.lowerBound, model.baseAddress!, model.count) == 0
                    })
        }
    }

    /// Whether `needle` sits at `start` exactly.
    func matches(_ needle: [String], at start: Int) -> Bool {
        // Subtracting on the right keeps a huge declared line count from overflowing.
        guard start >= 0, start <= lineCount - needle.count else { return false }
        return needle.indices.allSatisfy { key(start + $0, equals: needle[$0]) }
    }

    /// All lines as on disk.
    var lines: [String] { (0..<lineCount).map(line) }

    /// All lines without a trailing `\r`: what searches compare the model's lines with.
    private(set) lazy var keys: [String] = (0..<lineCount).map { index in
        bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[keyRange(index)]), as: UTF8.self)
        }
    }

    /// Lines with whitespace runs collapsed and ends trimmed: how drifted context is compared.
    private(set) lazy var normalizedKeys: [String] = keys.map(FileText.normalize)

    private func keyRange(_ index: Int) -> Range<Int> {
        let range = ranges[index]
        return !range.isEmpty && bytes[range.upperBound - 1] == 0x0D ? range.lowerBound..<range.upperBound - 1 : range
    }

    static func normalize(_ line: String) -> String {
        line.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
