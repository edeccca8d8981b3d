import Foundation
import RelayCore

/// How many messages the outbox holds in each state, and the dead letters by reason: the gauges of
/// `/metrics`, counted when scraped so they are exact.
public struct OutboxCounts: Sendable, Equatable {
    public var byState: [MessageState: Int]
    public var deadByReason: [DeadLetterReason: Int]
    /// When the oldest message still to send of each purpose was made: "nothing is moving" shows as its age growing.
    public var oldestPending: [MessagePurpose: Date]

    public init(byState: [MessageState: Int] = [:], deadByReason: [DeadLetterReason: Int] = [:], oldestPending: [MessagePurpose: Date] = [:]) {
        self.byState = byState
        self.deadByReason = deadByReason
        self.oldestPending = oldestPending
    }
}

/// What one retention batch removed.
public struct PurgeResult: Sendable, Equatable {
    public var requests: Int
    public var messages: Int
    public var attempts: Int

    public init(requests: Int = 0, messages: Int = 0, attempts: Int = 0) {
        self.requests = requests
        self.messages = messages
        self.attempts = attempts
    }
}

extension OutboxCounts {
    /// Every state and reason at zero, so that a gauge reads 0 rather than disappearing.
    static var zero: OutboxCounts {
        OutboxCounts(byState: Dictionary(uniqueKeysWithValues: MessageState.allCases.map { ($0, 0) }),
                     deadByReason: Dictionary(uniqueKeysWithValues: DeadLetterReason.allCases.map { ($0, 0) }))
    }

    /// Adds one row of `SELECT state, dead_reason, count(*) FROM messages GROUP BY state, dead_reason`.
    mutating func add(state: String, reason: String?, count: Int) {
        guard let state = MessageState(rawValue: state) else { return }
        byState[state, default: 0] += count
        if state == .dead, let reason = reason.flatMap(DeadLetterReason.init) { deadByReason[reason, default: 0] += count }
    }

    static let groupedSQL = "SELECT state, dead_reason, count(*) FROM messages GROUP BY state, dead_reason"
    /// One purpose at a time (`?`), so that each is a seek in `messages_active_by_purpose`, not a scan of the backlog.
    static let oldestPendingSQL = "SELECT MIN(created_at) FROM messages WHERE state IN ('pending', 'inflight') AND purpose = ?"
}
