import Foundation

/// The one table `scripts/bench` prints: every suite, besides its human-readable lines, prints each of
/// its figures as a machine-readable row `row<TAB>what<TAB>figure<TAB>baseline<TAB>ratio<TAB>target`,
/// which the script collects and renders.
enum Table {
    static func row(_ what: String, _ figure: String, baseline: String = "", ratio: String = "", target: String = "") {
        let cells = [what, figure, baseline, ratio, target].map { $0.replacingOccurrences(of: "\t", with: " ") }
        print((["row"] + cells).joined(separator: "\t"))
    }

    /// A peak-memory row for a process measured with wait4 or /proc.
    static func memoryRow(_ what: String, kilobytes: Int, baseline: String = "") {
        row("peak RSS: \(what)", mebibytes(kilobytes), baseline: baseline)
    }

    /// This bench process's own peak RSS: scripts/bench runs one suite per process, so it is the suite's.
    static func ownMemoryRow(suite: String) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        memoryRow("`bench \(suite)` process", kilobytes: usage.ru_maxrss)
    }

    static func mebibytes(_ kilobytes: Int) -> String { String(format: "%.1f MiB", Double(kilobytes) / 1024) }
    static func ratio(_ value: Double) -> String { String(format: "%.2fx", value) }
    static func ms(_ value: Double) -> String { String(format: value < 10 ? "%.2f ms" : "%.0f ms", value) }
}
