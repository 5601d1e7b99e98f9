import Foundation

/// Paths as diffs write them: optionally C-quoted, optionally with an `a/` or `b/` prefix, optionally
/// followed by a tab and a timestamp, `/dev/null` for "no file".
enum PathSyntax {
    struct ParsedPath {
        /// nil for `/dev/null`.
        var path: String?
        var hadPrefix: Bool
    }

    /// Parses the path of a `--- ` or `+++ ` line (the text after the marker).
    static func headerPath(_ raw: String) -> ParsedPath {
        var text = raw
        if text.hasPrefix("\"") {
            text = unquote(text).value
        } else {
            // `diff -u` appends a tab and a timestamp; models add stray trailing spaces.
            if let tab = text.firstIndex(of: "\t") { text = String(text[..<tab]) }
            text = text.trimmingCharacters(in: .whitespaces)
        }
        if text == "/dev/null" { return ParsedPath(path: nil, hadPrefix: true) }
        return stripPrefix(text)
    }

    /// Splits the `diff --git a/X b/Y` names. Unquoted names with spaces are ambiguous; like git, prefer the
    /// split where both names are equal, then the first ` b/`.
    static func gitHeaderPaths(_ rest: String) -> (old: ParsedPath, new: ParsedPath)? {
        if rest.hasPrefix("\"") {
            let (first, remainder) = unquote(rest)
            let second = remainder.trimmingCharacters(in: .whitespaces)
            let secondName = second.hasPrefix("\"") ? unquote(second).value : second
            return (stripPrefix(first), stripPrefix(secondName))
        }
        // An unquoted old name and a quoted new one (git quotes each name on its own; a name holding a
        // quote would itself be quoted, so the first ` "` starts the new name).
        if rest.hasSuffix("\""), let space = rest.range(of: " \"") {
            let new = unquote(String(rest[rest.index(after: space.lowerBound)...]))
            if new.rest.isEmpty { return (stripPrefix(String(rest[..<space.lowerBound])), stripPrefix(new.value)) }
        }
        let characters = Array(rest)
        var candidates: [Int] = []
        for index in characters.indices where characters[index] == " " { candidates.append(index) }
        for split in candidates {
            let old = String(characters[..<split])
            let new = String(characters[(split + 1)...])
            let (oldPath, newPath) = (stripPrefix(old), stripPrefix(new))
            if oldPath.path == newPath.path { return (oldPath, newPath) }
        }
        if let range = rest.range(of: " b/") {
            return (
                stripPrefix(String(rest[..<range.lowerBound])),
                stripPrefix(String(rest[rest.index(after: range.lowerBound)...]))
            )
        }
        return nil
    }

    /// Removes a leading `a/` or `b/` and any `./`.
    static func stripPrefix(_ text: String) -> ParsedPath {
        var path = Substring(text)
        var hadPrefix = false
        if path.hasPrefix("a/") || path.hasPrefix("b/") {
            path = path.dropFirst(2)
            hadPrefix = true
        }
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        return ParsedPath(path: String(path), hadPrefix: hadPrefix)
    }

    /// Decodes a C-style quoted name (`"a/x\ty"`, octal escapes for bytes) and returns it with the rest.
    static func unquote(_ text: String) -> (value: String, rest: String) {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).dropFirst()
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "\"") { break }
            guard byte == UInt8(ascii: "\\"), let escaped = iterator.popFirst() else {
                bytes.append(byte)
                continue
            }
            switch escaped {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(escaped - UInt8(ascii: "0"))
                for _ in 0..<2 {
                    guard let digit = iterator.first, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(digit) else {
                        break
                    }
                    value = value * 8 + Int(digit - UInt8(ascii: "0"))
                    iterator.removeFirst()
                }
                bytes.append(UInt8(truncatingIfNeeded: value))
            default: bytes.append(escaped)
            }
        }
        return (String(decoding: bytes, as: UTF8.self), String(decoding: Array(iterator), as: UTF8.self))
    }

    /// Quotes a path for a diff header when git would: control characters, quotes, backslashes, spaces.
    static func quoted(_ path: String) -> String {
        let special: (Unicode.Scalar) -> Bool = {
            $0.value < 0x20 || $0.value == 0x7F || $0 == "\"" || $0 == "\\" || $0 == " "
        }
        guard path.unicodeScalars.contains(where: special) else { return path }
        var out = "\""
        for scalar in path.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case " ": out += " "
            default:
                if special(scalar) {
                    let octal = String(scalar.value, radix: 8)
                    out += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension PathSyntax {
    /// A name from `rename from`/`copy to` lines: possibly quoted, never prefixed.
    static func plainPath(_ raw: String) -> String {
        raw.hasPrefix("\"") ? unquote(raw).value : raw
    }
}
