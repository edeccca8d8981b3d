import Foundation
import RelayCore

/// How many messages the outbox holds in each state, and the dead letters by reason: the gauges of
/// `/metrics`, counted when scraped so they are exact.
public struct OutboxCounts: Sendable, Equatable {
    public var byState: [MessageState: Int]
    public var deadByReason: [DeadLetterReason: Int]

    public init(byState: [MessageState: Int] = [:], deadByReason: [DeadLetterReason: Int] = [:]) {
        self.byState = byState
        self.deadByReason = deadByReason
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
