import Foundation
import Synchronization

/// Failed credentials, counted per client address (SPEC §11): a wrong token or sign-in is answered after a
/// delay that grows with each failure in the window, and past `limit` failures with 429 and `Retry-After`
/// until the window ends. Correct credentials are never slowed and never counted, so an attacker cannot
/// lock a real caller out; what the attacker gets is a few guesses a minute.
public final class FailureThrottle: Sendable {
    public struct Policy: Sendable {
        /// Failures allowed in a window before answers are 429.
        public var limit: Int
        /// How long a client's failures are remembered.
        public var window: TimeInterval
        /// The delay before the answer to the n-th failure: base·2^(n−1), at most `maximumDelay`.
        public var baseDelay: Duration
        public var maximumDelay: Duration

        public init(limit: Int = 10, window: TimeInterval = 300, baseDelay: Duration = .milliseconds(100),
                    maximumDelay: Duration = .seconds(2)) {
            self.limit = limit
            self.window = window
            self.baseDelay = baseDelay
            self.maximumDelay = maximumDelay
        }
    }

    /// What to do with a failed attempt.
    public enum Verdict: Sendable, Equatable {
        /// Answer the failure after this delay.
        case delay(Duration)
        /// Too many failures: 429, retry after this many seconds.
        case refuse(retryAfter: Int)
    }

    private struct Record {
        var failures: Int
        var windowStart: Date
    }

    public let policy: Policy
    private let records = Mutex<[String: Record]>([:])
    /// Clients remembered at once; past it the oldest are forgotten (an attacker with many addresses must
    /// not grow this without bound).
    private let capacity = 10_000

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Counts a failure of `client` at `now` and says how to answer it.
    public func failed(_ client: String, now: Date) -> Verdict {
        let (failures, windowStart) = records.withLock { records in
            var record = records[client] ?? Record(failures: 0, windowStart: now)
            if now.timeIntervalSince(record.windowStart) >= policy.window { record = Record(failures: 0, windowStart: now) }
            record.failures += 1
            records[client] = record
            if records.count > capacity {
                let cutoff = now.addingTimeInterval(-policy.window)
                records = records.filter { $0.value.windowStart > cutoff }
                if records.count > capacity { records.removeAll() }
            }
            return (record.failures, record.windowStart)
        }
        if failures > policy.limit {
            let left = policy.window - now.timeIntervalSince(windowStart)
            return .refuse(retryAfter: max(1, Int(left.rounded(.up))))
        }
        let exponent = min(failures - 1, 20)
        return .delay(min(policy.maximumDelay, policy.baseDelay * (1 << exponent)))
    }

    /// How many failures `client` has in its current window (for tests and logs).
    public func failures(of client: String, now: Date) -> Int {
        records.withLock { records in
            guard let record = records[client], now.timeIntervalSince(record.windowStart) < policy.window else { return 0 }
            return record.failures
        }
    }
}
