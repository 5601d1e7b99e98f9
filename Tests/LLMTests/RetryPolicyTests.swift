import Foundation
import LLM
import Testing

struct RetryPolicyTests {
    let policy = RetryPolicy(
        maxRetries: 4, backoffBase: .milliseconds(500), backoffCap: .seconds(4), maxRetryAfter: .seconds(60))

    @Test func backoffIsFullJitterUnderAGrowingCeiling() {
        var generator = SystemRandomNumberGenerator()
        for retry in 1...6 {
            let ceiling = min(Duration.seconds(4), .milliseconds(500) * (1 << (retry - 1)))
            let delays = (0..<200).map { _ in policy.delay(beforeRetry: retry, retryAfter: nil, using: &generator) }
            #expect(delays.allSatisfy { $0 >= .zero && $0 <= ceiling }, "retry \(retry): ceiling \(ceiling)")
            // Jitter spreads the delays; all equal would mean no jitter.
            #expect(Set(delays).count > 100)
        }
    }

    @Test func retryAfterWinsAndIsCapped() {
        var generator = SystemRandomNumberGenerator()
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(7), using: &generator) == .seconds(7))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(600), using: &generator) == .seconds(60))
    }

    @Test func parsesRetryAfterSeconds() {
        #expect(RetryPolicy.parseRetryAfter("1") == .seconds(1))
        #expect(RetryPolicy.parseRetryAfter(" 2.5 ") == .seconds(2.5))
        #expect(RetryPolicy.parseRetryAfter("-3") == nil)
        // Absurd values are clamped rather than overflowing.
        #expect(RetryPolicy.parseRetryAfter("1e308") == .seconds(7 * 86_400))
        #expect(RetryPolicy.parseRetryAfter("inf") == .seconds(7 * 86_400))
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
    }

    @Test func parsesRetryAfterHTTPDates() {
        let now = Date(timeIntervalSince1970: 784_111_767)  // Sun, 06 Nov 1994 08:49:27 GMT
        #expect(RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == .seconds(10))
        #expect(RetryPolicy.parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == .seconds(10))
        #expect(RetryPolicy.parseRetryAfter("Sun Nov  6 08:49:37 1994", now: now) == .seconds(10))
        // A date in the past means "now".
        #expect(RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == .zero)
    }
}
