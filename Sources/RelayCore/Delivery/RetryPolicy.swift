import Foundation

/// How long to wait between attempts and when to give up (SPEC §4).
public struct RetryPolicy: Sendable, Equatable {
    /// The first retry's upper bound.
    public var base: TimeInterval
    /// No wait is ever longer than this.
    public var cap: TimeInterval
    /// Attempts in all, the first one included.
    public var maxAttempts: Int
    /// The whole attempt's deadline.
    public var attemptTimeout: TimeInterval
    /// The TCP (and TLS) connect deadline.
    public var connectTimeout: TimeInterval

    public init(base: TimeInterval = 2, cap: TimeInterval = 600, maxAttempts: Int = 15,
                attemptTimeout: TimeInterval = 10, connectTimeout: TimeInterval = 3) {
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
        self.attemptTimeout = attemptTimeout
        self.connectTimeout = connectTimeout
    }

    /// The defaults of SPEC §4.
    public static let standard = RetryPolicy()

    /// The upper bound of the wait before the `retry`-th retry: min(cap, base·2^(retry−1)).
    public func ceiling(beforeRetry retry: Int) -> TimeInterval {
        let exponent = Double(max(0, retry - 1))
        return min(cap, base * pow(2, min(exponent, 62)))
    }

    /// The wait before the `retry`-th retry: uniform in [d/2, d] for `unit` in 0..<1.
    public func delay(beforeRetry retry: Int, unit: Double) -> TimeInterval {
        let ceiling = ceiling(beforeRetry: retry)
        return ceiling / 2 + (ceiling / 2) * min(max(unit, 0), 1)
    }
}

/// What happens to a message after an attempt.
public enum MessageDisposition: Sendable, Equatable {
    case delivered
    case retry(at: Date)
    case dead(DeadLetterReason)
    /// Final without a dead letter: the receiver said it no longer waits (`ForwardAbandonment`).
    case abandoned
}

extension RetryPolicy {
    /// Decides the message's next step from the attempt's class. Never schedules past `deadline`.
    public func disposition(
        after answer: AnswerClass, attemptNumber: Int, now: Date, deadline: Date, random: any RandomSource
    ) -> MessageDisposition {
        switch answer {
        case .delivered:
            return .delivered
        case .permanent:
            return .dead(.permanent)
        case .retryable(_, let retryAfter):
            if attemptNumber >= maxAttempts { return .dead(.exhausted) }
            var wait = delay(beforeRetry: attemptNumber, unit: random.unit())
            if let retryAfter { wait = max(wait, min(retryAfter, cap)) }
            let next = now.addingTimeInterval(wait)
            return next >= deadline ? .dead(.deadline) : .retry(at: next)
        }
    }
}
