import Foundation

/// One outbound HTTP delivery the relay owes, held in the outbox until it succeeds or dies.
public struct Message: Sendable, Equatable {
    public var id: String
    public var requestId: String
    public var endpointId: String?
    /// The endpoint's name when the message was created; kept after the endpoint is deleted.
    public var endpointName: String
    public var purpose: MessagePurpose
    public var url: String
    public var body: Data
    public var state: MessageState
    public var attemptCount: Int
    /// When the message is next due (pending) or when its lease runs out (in flight).
    public var dueAt: Date
    public var deadline: Date
    public var deadReason: DeadLetterReason?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// For a forward: which kind of sink it goes to (decides its headers and signing).
    public var sink: ForwardSink?
    /// For a delivery: the hash of its own callback capability (SPEC §12: every vote names its endpoint). Nil on
    /// deliveries stored before capabilities were per delivery: those carry their request's capability URL.
    public var callbackTokenHash: String?
    /// The span this message's attempts are children of: the submit's for a delivery, the deciding step's for a forward.
    public var trace: TraceHeaders?

    public init(
        id: String, requestId: String, endpointId: String?, endpointName: String, purpose: MessagePurpose,
        url: String, body: Data, state: MessageState, attemptCount: Int, dueAt: Date, deadline: Date,
        deadReason: DeadLetterReason? = nil, lastError: String? = nil, createdAt: Date, updatedAt: Date,
        sink: ForwardSink? = nil, callbackTokenHash: String? = nil, trace: TraceHeaders? = nil
    ) {
        self.id = id
        self.requestId = requestId
        self.endpointId = endpointId
        self.endpointName = endpointName
        self.purpose = purpose
        self.url = url
        self.body = body
        self.state = state
        self.attemptCount = attemptCount
        self.dueAt = dueAt
        self.deadline = deadline
        self.deadReason = deadReason
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.sink = sink
        self.callbackTokenHash = callbackTokenHash
        self.trace = trace
    }
}

/// Why a message exists.
public enum MessagePurpose: String, Sendable, Codable, CaseIterable {
    /// A request delivered to an approver or executor endpoint.
    case delivery
    /// A decision forwarded to the control plane.
    case forward
    /// A `request.resolved` notice to an endpoint's `resolution_url` (SPEC §12): the request it was shown was
    /// resolved elsewhere, so its UI can retract the question.
    case notice
    /// An operational event to `ops.url` (SPEC §14).
    case event
}

/// Where a message is in the outbox.
public enum MessageState: String, Sendable, Codable, CaseIterable {
    /// Waiting for its due time.
    case pending
    /// Claimed by a dispatcher under a lease.
    case inflight
    /// The receiver answered with success.
    case delivered
    /// Failed for good; kept and replayable.
    case dead
    /// A forward whose receiver had stopped waiting (SPEC §16): final, shown in the timeline, not a dead letter.
    case abandoned
    /// A delivery not yet sent when its request was resolved by another endpoint or cancelled (SPEC §12):
    /// never sent, shown in the timeline, not a dead letter.
    case superseded
}

/// Why a message became a dead letter.
public enum DeadLetterReason: String, Sendable, Codable, CaseIterable {
    /// The receiver gave a permanent answer (4xx of the permanent list, 410, 3xx after the last try…).
    case permanent
    /// Every allowed attempt failed.
    case exhausted
    /// The request's deadline passed before a delivery succeeded.
    case deadline
}
