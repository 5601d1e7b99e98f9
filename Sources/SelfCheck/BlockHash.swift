/// What SHA-1 and SHA-256 share (FIPS 180-4, 5.1.1): the message goes through `compress` in 64-byte
/// blocks and ends with a 0x80 byte, zeros up to byte 56 of a block, and its length in bits, big-endian.
/// The digest is the state words, big-endian.
protocol BlockHash {
    init()
    var pending: [UInt8] { get set }
    var length: UInt64 { get set }
    var stateWords: [UInt32] { get }
    mutating func compress(_ block: [UInt8])
}

extension BlockHash {
    mutating func update<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        for byte in bytes {
            pending.append(byte)
            length += 1
            if pending.count == 64 {
                compress(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
    }

    mutating func finish() -> [UInt8] {
        let bits = length * 8
        update([0x80])
        while pending.count != 56 { update([0]) }
        update((0..<8).map { UInt8(truncatingIfNeeded: bits >> (56 - 8 * UInt64($0))) })
        return stateWords.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * UInt32($0))) } }
    }

    /// The digest of `bytes` in lowercase hex.
    static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var hash = Self()
        hash.update(bytes)
        return hexDigits(hash.finish())
    }
}

/// `bytes` as lowercase hex digits, two per byte.
func hexDigits(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}
