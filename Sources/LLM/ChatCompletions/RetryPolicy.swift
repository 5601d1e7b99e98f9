import Foundation

/// When to send a failed request again and how long to wait first.
public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first request; 0 disables retrying.
    public var maxRetries: Int
    public var backoffBase: Duration
    public var backoffCap: Duration
    /// The most a server's `Retry-After` may make us wait.
    public var maxRetryAfter: Duration

    public init(maxRetries: Int, backoffBase: Duration, backoffCap: Duration, maxRetryAfter: Duration) {
        self.maxRetries = maxRetries
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
        self.maxRetryAfter = maxRetryAfter
    }

    public init(_ configuration: ChatCompletionsConfiguration) {
        self.init(
            maxRetries: configuration.maxRetries, backoffBase: configuration.backoffBase,
            backoffCap: configuration.backoffCap, maxRetryAfter: configuration.maxRetryAfter)
    }

    /// The wait before retry number `retry` (1 for the first retry).
    ///
    /// A server's `Retry-After` wins, capped by ``maxRetryAfter``; otherwise exponential backoff with
    /// full jitter, a uniform delay in [0, min(cap, base · 2^(retry-1))], so that many agents hit by
    /// the same outage do not come back in step.
    public func delay(
        beforeRetry retry: Int, retryAfter: Duration?, using generator: inout some RandomNumberGenerator
    ) -> Duration {
        if let retryAfter {
            return max(.zero, min(retryAfter, maxRetryAfter))
        }
        let exponent = min(max(retry - 1, 0), 30)
        let ceiling = min(backoffCap, backoffBase * (1 << exponent))
        let ceilingSeconds = ceiling.seconds
        guard ceilingSeconds > 0 else { return .zero }
        return .seconds(Double.random(in: 0...ceilingSeconds, using: &generator))
    }

    /// Reads a `Retry-After` header: a number of seconds or an HTTP date.
    /// - Parameter now: the moment an HTTP date is measured from.
    /// - Returns: nil when the value is neither; zero for a date already past; at most a week, so that an
    ///   absurd value cannot overflow a `Duration` (``maxRetryAfter`` caps it much lower anyway).
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let week = 7 * 86_400.0
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) {
            return seconds >= 0 && !seconds.isNaN ? .seconds(min(seconds, week)) : nil
        }
        for format in httpDateFormats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                return .seconds(min(max(0, date.timeIntervalSince(now)), week))
            }
        }
        return nil
    }

    /// IMF-fixdate first, then the two obsolete forms RFC 9110 still asks recipients to accept.
    private static let httpDateFormats = [
        "EEE, dd MMM yyyy HH:mm:ss zzz",
        "EEEE, dd-MMM-yy HH:mm:ss zzz",
        "EEE MMM d HH:mm:ss yyyy",
    ]
}

extension Duration {
    /// The duration as fractional seconds.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
