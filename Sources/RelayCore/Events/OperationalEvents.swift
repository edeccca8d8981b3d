import Foundation

/// What happened to the relay that an operator should hear of without watching it (SPEC §14), as the type of
/// an operational event.
public enum OperationalEventType: String, Sendable, CaseIterable {
    /// The relay disabled an endpoint (it answered 410 Gone).
    case endpointDisabled = "endpoint.disabled"
    /// A run of failures paused an endpoint: it is probed with single deliveries from now on.
    case circuitOpened = "endpoint.circuit_opened"
    /// A probe succeeded: deliveries flow again.
    case circuitClosed = "endpoint.circuit_closed"
    /// A message failed for good (a permanent answer, its attempts exhausted, or its deadline passed).
    case messageDeadLettered = "message.dead_lettered"
    /// A request's deadline passed with no decision.
    case requestExpired = "request.expired"
}

/// `ops.url`: where operational events go, Standard-Webhooks-signed with `ops.secret`, through the outbox like
/// every message (retried, never lost). One event is one message, written in the transaction of the change it
/// reports and kept with the request whose attempt or deadline caused it, so it shows in that request's timeline.
public struct OperationalEvents: Sendable {
    public var url: String
    public var secret: WebhookSecret?
    /// How long an event keeps being retried.
    public var window: TimeInterval

    public init(url: String, secret: WebhookSecret?, window: TimeInterval = 86400) {
        self.url = url
        self.secret = secret
        self.window = window
    }

    public static let sink = ForwardSink(rawValue: "ops")

    /// The event as a message due now: `{"type", "timestamp", "data"}`.
    public func message(_ type: OperationalEventType, _ data: [String: JSONValue], requestId: String, now: Date,
                        trace: TraceHeaders? = nil) -> Message {
        let body: JSONValue = ["type": .string(type.rawValue), "timestamp": .string(ISO8601.string(now)), "data": .object(data)]
        return Message(
            id: Identifier.make("msg", at: now), requestId: requestId, endpointId: nil, endpointName: Self.sink.rawValue, purpose: .event,
            url: url, body: body.encoded(), state: .pending, attemptCount: 0, dueAt: now, deadline: now.addingTimeInterval(window),
            createdAt: now, updatedAt: now, sink: Self.sink, trace: trace
        )
    }
}

extension JSONValue {
    /// A string, or null.
    public static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
}
