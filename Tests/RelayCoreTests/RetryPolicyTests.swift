import Foundation
import RelayCore
import Testing

/// SPEC §4's retry formula: the n-th retry waits uniformly in [d/2, d], d = min(cap, base·2^(n−1)).
@Suite struct RetryPolicyTests {
    let policy = RetryPolicy.standard
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let farDeadline = Date(timeIntervalSince1970: 1_900_000_000)

    @Test func defaultsAreTheSpecs() {
        #expect(policy.base == 2 && policy.cap == 600 && policy.maxAttempts == 15)
        #expect(policy.attemptTimeout == 10 && policy.connectTimeout == 3)
    }

    @Test(arguments: 1...20)
    func waitStaysWithinItsBounds(retry: Int) {
        let ceiling = min(600, 2 * pow(2, Double(retry - 1)))
        #expect(policy.delay(beforeRetry: retry, unit: 0) == ceiling / 2)
        #expect(policy.delay(beforeRetry: retry, unit: 0.999_999) <= ceiling)
        #expect(policy.delay(beforeRetry: retry, unit: 0.5) == ceiling * 0.75)
    }

    @Test func capHoldsForHugeRetryNumbers() {
        #expect(policy.ceiling(beforeRetry: 1000) == 600)
    }

    @Test func retryableFailureSchedulesTheNextAttempt() {
        let step = policy.disposition(after: .retryable(reason: "HTTP 503", retryAfter: nil), attemptNumber: 3,
                                      now: now, deadline: farDeadline, random: FixedRandom(0))
        #expect(step == .retry(at: now.addingTimeInterval(4)))  // d = 8 s for the 3rd retry, lower bound 4 s
    }

    @Test func lastAttemptExhausts() {
        let step = policy.disposition(after: .retryable(reason: "x", retryAfter: nil), attemptNumber: 15,
                                      now: now, deadline: farDeadline, random: FixedRandom(0))
        #expect(step == .dead(.exhausted))
    }

    @Test func noRetryIsScheduledPastTheDeadline() {
        let deadline = now.addingTimeInterval(3)
        let step = policy.disposition(after: .retryable(reason: "x", retryAfter: nil), attemptNumber: 2,
                                      now: now, deadline: deadline, random: FixedRandom(0))
        #expect(step == .retry(at: now.addingTimeInterval(2)))  // 2nd retry: [2 s, 4 s]; 2 s still fits
        let tight = policy.disposition(after: .retryable(reason: "x", retryAfter: nil), attemptNumber: 4,
                                       now: now, deadline: deadline, random: FixedRandom(0))
        #expect(tight == .dead(.deadline))
    }

    @Test func retryAfterIsHonouredWithinTheCap() {
        let longer = policy.disposition(after: .retryable(reason: "429", retryAfter: 100), attemptNumber: 1,
                                        now: now, deadline: farDeadline, random: FixedRandom(0))
        #expect(longer == .retry(at: now.addingTimeInterval(100)))
        let capped = policy.disposition(after: .retryable(reason: "429", retryAfter: 86_400), attemptNumber: 1,
                                        now: now, deadline: farDeadline, random: FixedRandom(0))
        #expect(capped == .retry(at: now.addingTimeInterval(600)))
    }

    @Test func permanentAndDeliveredNeedNoPolicy() {
        #expect(policy.disposition(after: .permanent(reason: "HTTP 400", disablesEndpoint: false), attemptNumber: 1,
                                   now: now, deadline: farDeadline, random: FixedRandom(0)) == .dead(.permanent))
        #expect(policy.disposition(after: .delivered(verdict: nil), attemptNumber: 15,
                                   now: now, deadline: farDeadline, random: FixedRandom(0)) == .delivered)
    }
}
