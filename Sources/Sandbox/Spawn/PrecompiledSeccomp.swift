/// Seccomp programs compiled ahead of time for the shipped profiles' policies, so that starting a job
/// with one needs no libseccomp (about 13 % of the CPU of `selfcheck-runner exec -- /bin/true`). The
/// programs are libseccomp's own output, committed in `Generated/PrecompiledSeccompPrograms.swift`
/// (scripts/generate-seccomp-programs); SandboxTests checks them against libseccomp. Any other policy, a
/// changed one, audit mode or another architecture is compiled as before.
enum PrecompiledSeccomp {
    /// - Parameter profileName: the name of the profile the policy came from: that shipped profile's program
    ///   is tried first, so a job builds no other shipped profile.
    static func program(for policy: SeccompPolicy, profileName: String? = nil) -> [UInt8]? {
        #if arch(x86_64)
            let others = EmbeddedProfiles.names.filter { $0 != profileName }
            let names = (profileName.map { [$0] } ?? []) + others
            for name in names where EmbeddedProfiles.value(name)?.seccomp == policy {
                return PrecompiledSeccompPrograms.x86_64[name].map(bytes)
            }
        #endif
        return nil
    }

    /// The hex of a program as bytes.
    static func bytes(_ hex: String) -> [UInt8] {
        func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : c - 0x61 + 10 }
        var hex = hex
        return hex.withUTF8 { digits in  // one pass over the literal's bytes: this runs at every `exec`'s start
            [UInt8](unsafeUninitializedCapacity: digits.count / 2) { bytes, count in
                for index in 0..<digits.count / 2 {
                    bytes[index] = nibble(digits[2 * index]) << 4 | nibble(digits[2 * index + 1])
                }
                count = digits.count / 2
            }
        }
    }

    /// Bytes as the hex `bytes(_:)` reads, lower case.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 0xf)]] }
        return String(decoding: out, as: UTF8.self)
    }
}
