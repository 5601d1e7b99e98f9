/// Splitting text into lines on the `\n` byte. Done on UTF-8 bytes, not Characters: it is several times
/// faster, and as a Character "\r\n" is one grapheme that a split on "\n" would not cut.
enum Lines {
    /// The lines of `text` without their `\n`; a final `\n` does not make an extra empty line.
    static func split(_ text: String) -> [String] {
        var text = text
        var lines = text.withUTF8 { bytes in
            split(bytes) { String(decoding: $0, as: UTF8.self) }
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Cuts `bytes` at each `\n` and converts each piece; the last piece is what follows the last `\n`.
    static func split<Line>(_ bytes: UnsafeBufferPointer<UInt8>, _ convert: (UnsafeBufferPointer<UInt8>) throws -> Line)
        rethrows -> [Line]
    {
        var lines: [Line] = []
        var start = 0
        for index in 0..<bytes.count where bytes[index] == 0x0A {
            lines.append(try convert(UnsafeBufferPointer(rebasing: bytes[start..<index])))
            start = index + 1
        }
        lines.append(try convert(UnsafeBufferPointer(rebasing: bytes[start...])))
        return lines
    }
}
