import Foundation

/// Just enough TOML to read dependency declarations from a hostile pyproject.toml: table headers, and
/// `key = value` where the value is a string, an array (of strings and inline tables) or an inline table.
/// Anything else is skipped. Bounded: the caller caps the input size; nesting is capped here.
enum TOMLSubset {
    indirect enum Value: Equatable {
        case string(String)
        case array([Value])
        case table([String: Value])
        case other
    }

    /// `table name → key → value`; the root table is "".
    static func parse(_ text: String) -> [String: [String: Value]] {
        var tables: [String: [String: Value]] = [:]
        var current = ""
        var scanner = Scanner(Array(text.unicodeScalars))
        while !scanner.atEnd {
            scanner.skipBlankAndComments()
            guard let scalar = scanner.peek else { break }
            if scalar == "[" {
                scanner.advance()
                let arrayOfTables = scanner.peek == "["
                if arrayOfTables { scanner.advance() }
                let name = scanner.takeUntil { $0 == "]" || $0 == "\n" }
                current = name.split(separator: ".").map {
                    $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                }.joined(separator: ".")
                if arrayOfTables { current = "[[\(current)]]" }
                scanner.skipLine()
                continue
            }
            let key = scanner.takeUntil { $0 == "=" || $0 == "\n" }.trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            guard scanner.peek == "=" else {
                scanner.skipLine()
                continue
            }
            scanner.advance()
            let value = scanner.value(depth: 0)
            tables[current, default: [:]][key] = value
            scanner.skipLine()
        }
        return tables
    }

    struct Scanner {
        let scalars: [Unicode.Scalar]
        var index = 0
        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        var atEnd: Bool { index >= scalars.count }
        var peek: Unicode.Scalar? { atEnd ? nil : scalars[index] }
        mutating func advance() { index += 1 }

        mutating func skipSpaces(newlines: Bool) {
            while let scalar = peek {
                if scalar == " " || scalar == "\t" || scalar == "\r" || (newlines && scalar == "\n") {
                    advance()
                } else if newlines && scalar == "#" {
                    skipLine()
                } else {
                    break
                }
            }
        }

        mutating func skipBlankAndComments() { skipSpaces(newlines: true) }

        mutating func skipLine() {
            while let scalar = peek, scalar != "\n" { advance() }
            if peek == "\n" { advance() }
        }

        mutating func takeUntil(_ stop: (Unicode.Scalar) -> Bool) -> String {
            var text = String.UnicodeScalarView()
            while let scalar = peek, !stop(scalar) {
                text.append(scalar)
                advance()
            }
            return String(text)
        }

        mutating func value(depth: Int) -> Value {
            skipSpaces(newlines: depth > 0)
            guard depth < 8, let scalar = peek else { return .other }
            switch scalar {
            case "\"", "'": return .string(string(quote: scalar))
            case "[":
                advance()
                var items: [Value] = []
                while true {
                    skipSpaces(newlines: true)
                    guard let next = peek else { return .array(items) }
                    if next == "]" {
                        advance()
                        return .array(items)
                    }
                    if next == "," {
                        advance()
                        continue
                    }
                    let before = index
                    items.append(value(depth: depth + 1))
                    if index == before { advance() }
                }
            case "{":
                advance()
                var table: [String: Value] = [:]
                while true {
                    skipSpaces(newlines: false)
                    guard let next = peek, next != "\n" else { return .table(table) }
                    if next == "}" {
                        advance()
                        return .table(table)
                    }
                    if next == "," {
                        advance()
                        continue
                    }
                    let key = takeUntil { $0 == "=" || $0 == "}" || $0 == "\n" }.trimmingCharacters(in: .whitespaces)
                        .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                    guard peek == "=" else { continue }
                    advance()
                    table[key] = value(depth: depth + 1)
                }
            default:
                _ = takeUntil { $0 == "," || $0 == "]" || $0 == "}" || $0 == "\n" || $0 == "#" }
                return .other
            }
        }

        /// A basic ("…", with escapes) or literal ('…') string; triple-quoted strings are read as empty ones
        /// followed by the content, which is harmless for declarations (never strings spanning lines).
        mutating func string(quote: Unicode.Scalar) -> String {
            advance()
            var text = String.UnicodeScalarView()
            while let scalar = peek, scalar != quote, scalar != "\n" {
                if quote == "\"" && scalar == "\\" {
                    advance()
                    guard let escaped = peek else { break }
                    switch escaped {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    default: text.append(escaped)
                    }
                } else {
                    text.append(scalar)
                }
                advance()
            }
            if peek == quote { advance() }
            return String(text)
        }
    }
}
