import Foundation
import RelayCore

/// The operational events a change owes `ops.url` (SPEC §14), as messages written in the change's own
/// transaction: none when no `ops.url` is configured, and none about an event itself (an event that cannot
/// be sent is a dead letter, not the cause of another event).
enum EventRule {
    static func deadLettered(_ note: DeadLetterNote, reason: DeadLetterReason, events: OperationalEvents?, now: Date) -> [StoreWrite] {
        guard let events, note.purpose != .event else { return [] }
        return [.insertMessage(events.message(.messageDeadLettered, [
            "message_id": .string(note.messageId), "request_id": .string(note.requestId), "endpoint": .string(note.endpoint),
            "purpose": .string(note.purpose.rawValue), "reason": .string(reason.rawValue), "attempts": .integer(Int64(note.attempts)),
            "last_error": .optional(note.lastError),
        ], requestId: note.requestId, now: now))]
    }

    /// The events of the messages a write made dead letters (its answer's notes).
    static func deadLettered(_ notes: [DeadLetterNote], reason: DeadLetterReason, events: OperationalEvents?, now: Date) -> [StoreWrite] {
        notes.flatMap { deadLettered($0, reason: reason, events: events, now: now) }
    }

    /// `events` and, when there are any, one wake-up for the dispatchers that send them.
    static func owed(_ events: [StoreWrite]) -> [StoreWrite] {
        events.isEmpty ? [] : events + [.notifyDue]
    }

    /// An endpoint's circuit moved (opened by a run of failures, closed by a successful probe), or the endpoint was disabled.
    static func endpoint(_ type: OperationalEventType, _ fenced: FencedMessage, detail: [String: JSONValue], events: OperationalEvents?,
                         now: Date) -> [StoreWrite] {
        guard let events else { return [] }
        var data = detail
        data["endpoint"] = .string(fenced.endpointName)
        data["endpoint_id"] = .optional(fenced.endpointId)
        data["request_id"] = .string(fenced.requestId)
        return [.insertMessage(events.message(type, data, requestId: fenced.requestId, now: now))]
    }

    static func expired(_ request: RelayRequest, events: OperationalEvents?, now: Date) -> [StoreWrite] {
        guard let events else { return [] }
        return [.insertMessage(events.message(.requestExpired, [
            "id": .string(request.id), "correlation_id": .string(request.correlationId), "kind": .string(request.kind.rawValue),
            "tool": .string(request.tool), "deadline": .string(ISO8601.string(request.deadline)),
        ], requestId: request.id, now: now, trace: request.trace))]
    }
}

/// A message that became a dead letter, as its event tells of it.
public struct DeadLetterNote: Sendable, Equatable {
    public var messageId: String
    public var requestId: String
    public var endpoint: String
    public var purpose: MessagePurpose
    public var attempts: Int
    public var lastError: String?

    public init(messageId: String, requestId: String, endpoint: String, purpose: MessagePurpose, attempts: Int, lastError: String?) {
        self.messageId = messageId
        self.requestId = requestId
        self.endpoint = endpoint
        self.purpose = purpose
        self.attempts = attempts
        self.lastError = lastError
    }
}
