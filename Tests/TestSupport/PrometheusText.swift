import Foundation

/// A scrape of a Prometheus text-format endpoint: each sample by metric name and label set.
public struct PrometheusText: Sendable {
    public struct Sample: Sendable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public let samples: [Sample]
    public let text: String

    /// `GET http://127.0.0.1:<port>/metrics` with curl.
    public static func scrape(port: UInt16) throws -> PrometheusText {
        try PrometheusText(run(["curl", "-sSf", "--max-time", "10", "http://127.0.0.1:\(port)/metrics"]).stdout)
    }

    public init(_ text: String) {
        self.text = text
        samples = text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[line.index(after: space)...])
            else { return nil }
            let series = line[..<space]
            guard let open = series.firstIndex(of: "{") else {
                return Sample(name: String(series), labels: [:], value: value)
            }
            var labels: [String: String] = [:]
            // Label values here never contain commas or quotes: split on `",` boundaries.
            for pair in series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",")
            {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return Sample(name: String(series[..<open]), labels: labels, value: value)
        }
    }

    /// The value of the sample with this name and exactly these labels (histogram buckets: pass `le`).
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}
