import Foundation

/// What was learned about a base: lint findings per file and the test outcomes, so the next check on
/// the same base (same tree, same tools, same test selection) does not pay for them again.
struct Baseline: Codable, Sendable {
    var lint: [String: [LintFinding]] = [:]
    var tests: [TestOutcome]?
    /// Which tests executed which functions in the run that gave `tests` (TestSelection/).
    var testMap: TestMap?
    /// Why that run gave no usable map.
    var testMapProblem: String?
    /// The whole key it was stored under: a record is used only for that key (file names are a hash).
    var key: String?
}

/// One JSON file per base in a cache folder; writes are atomic (rename), so concurrent checks on the
/// same base at worst both compute it.
struct BaselineCache: Sendable {
    let directory: URL?

    func load(_ key: String?) -> Baseline? {
        guard let url = file(for: key), let data = try? Data(contentsOf: url),
            let baseline = try? JSONDecoder().decode(Baseline.self, from: data), baseline.key == key
        else { return nil }
        return baseline
    }

    func store(_ baseline: Baseline, for key: String?) {
        var baseline = baseline
        baseline.key = key
        guard let url = file(for: key), let data = try? JSONEncoder().encode(baseline) else { return }
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.appendingPathExtension("\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp")
        guard (try? data.write(to: temporary)) != nil else { return }
        if rename(temporary.path, url.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
    }

    private func file(for key: String?) -> URL? {
        guard let directory, let key else { return nil }
        return directory.appendingPathComponent("baseline-\(fnv1a(key)).json")
    }
}

/// FNV-1a, 64 bit, as hex: a stable file name for a cache key (not a security boundary).
func fnv1a(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
}
