import Foundation
import RelayCore

/// A message claimed for delivery, with everything needed to deliver it without another read.
public struct ClaimedMessage: Sendable, Equatable {
    public var message: Message
    /// The fencing token: the completion must present it, or it is refused.
    public var leaseToken: Int64
    /// This attempt's number within the message's current round (1 for the first try, and after a replay).
    public var roundAttempt: Int
    public var endpoint: Endpoint?

    public init(message: Message, leaseToken: Int64, roundAttempt: Int, endpoint: Endpoint?) {
        self.message = message
        self.leaseToken = leaseToken
        self.roundAttempt = roundAttempt
        self.endpoint = endpoint
    }

    /// A message as a claim statement returned it: `roundStart` is the attempt count its current round began at
    /// (0, or the count when it was last replayed).
    init(message: Message, leaseToken: Int64, roundStart: Int, endpoint: Endpoint?) {
        self.init(message: message, leaseToken: leaseToken, roundAttempt: message.attemptCount - roundStart + 1, endpoint: endpoint)
    }
}

/// The result of one attempt, to record with the message's next step.
public struct AttemptCompletion: Sendable, Equatable {
    public var messageId: String
    public var leaseToken: Int64
    public var attempt: Attempt
    public var disposition: MessageDisposition
    /// Set when the answer disables the endpoint (410 Gone): the reason to record.
    public var disableEndpointReason: String?
    /// A synchronous adapter's decision, applied in the same transaction as the attempt.
    public var decision: NormalizedDecision?
    /// What a codex-k8s control plane answered to a forward.
    public var controlPlaneAnswer: ControlPlaneAnswer?
    /// A stuck adapter's failure (SPEC §16): applied to the request when no other delivery of it can still succeed.
    public var requestFailure: NormalizedDecision?
    /// The attempt's span: a decision its answer carries makes forwards that are its children.
    public var trace: TraceHeaders?

    public init(messageId: String, leaseToken: Int64, attempt: Attempt, disposition: MessageDisposition,
                disableEndpointReason: String? = nil, decision: NormalizedDecision? = nil,
                controlPlaneAnswer: ControlPlaneAnswer? = nil, requestFailure: NormalizedDecision? = nil, trace: TraceHeaders? = nil) {
        self.requestFailure = requestFailure
        self.trace = trace
        self.messageId = messageId
        self.leaseToken = leaseToken
        self.attempt = attempt
        self.disposition = disposition
        self.disableEndpointReason = disableEndpointReason
        self.decision = decision
        self.controlPlaneAnswer = controlPlaneAnswer
    }
}

/// A request and everything that happened to it.
public struct RequestTimeline: Sendable, Equatable {
    public var request: RelayRequest
    public var messages: [MessageTimeline]
    /// Every callback that named this request, in order: applied, duplicate or ignored (SPEC §16).
    public var callbacks: [CallbackRecord]
    /// The votes counted towards its quorum, in order (SPEC §12).
    public var votes: [Vote]
    /// Its entries in the audit trail, in order.
    public var audit: [AuditEntry]

    public init(request: RelayRequest, messages: [MessageTimeline], callbacks: [CallbackRecord] = [], votes: [Vote] = [],
                audit: [AuditEntry] = []) {
        self.request = request
        self.messages = messages
        self.callbacks = callbacks
        self.votes = votes
        self.audit = audit
    }
}

/// One callback as the timeline keeps it: which door, what it said, what became of it.
public struct CallbackRecord: Sendable, Equatable {
    /// What a callback did to its request.
    public enum Outcome: String, Sendable, Codable {
        case applied
        case duplicate
        /// Refused by the state machine (409): kept so that a late or contradicting answer is visible.
        case ignored
    }

    /// The door: `capability`, `contract-a`, `contract-b`.
    public var path: String
    public var receivedAt: Date
    public var decision: String
    public var outcome: Outcome
    /// The endpoint that answered, when the relay can tell (the request was delivered to one endpoint).
    public var endpoint: String?
    /// The actor the callback named (contract B's `actor_id`), if any.
    public var actor: String?
    /// The request's state after the callback.
    public var state: RequestState
    /// The first bytes of the body as received.
    public var excerpt: String?

    public init(path: String, receivedAt: Date, decision: String, outcome: Outcome, endpoint: String? = nil, actor: String? = nil,
                state: RequestState, excerpt: String? = nil) {
        self.path = path
        self.receivedAt = receivedAt
        self.decision = decision
        self.outcome = outcome
        self.endpoint = endpoint
        self.actor = actor
        self.state = state
        self.excerpt = excerpt
    }
}

/// One message and its attempts, oldest first.
public struct MessageTimeline: Sendable, Equatable {
    public var message: Message
    public var attempts: [Attempt]

    public init(message: Message, attempts: [Attempt]) {
        self.message = message
        self.attempts = attempts
    }
}

/// Filters and paging for the dead-letter list.
public struct DeadLetterQuery: Sendable, Equatable {
    public var endpoint: String?
    public var kind: RequestKind?
    public var reason: DeadLetterReason?
    public var since: Date?
    public var until: Date?
    public var cursor: String?
    public var limit: Int

    public init(endpoint: String? = nil, kind: RequestKind? = nil, reason: DeadLetterReason? = nil,
                since: Date? = nil, until: Date? = nil, cursor: String? = nil, limit: Int = 50) {
        self.endpoint = endpoint
        self.kind = kind
        self.reason = reason
        self.since = since
        self.until = until
        self.cursor = cursor
        self.limit = limit
    }
}

/// One page of dead letters.
public struct DeadLetterPage: Sendable, Equatable {
    public var items: [DeadLetter]
    /// Pass as `cursor` to get the next page; nil on the last page.
    public var nextCursor: String?

    public init(items: [DeadLetter], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// A dead letter with the request it belongs to.
public struct DeadLetter: Sendable, Equatable {
    public var message: Message
    public var kind: RequestKind
    public var correlationId: String
    public var deadAt: Date

    public init(message: Message, kind: RequestKind, correlationId: String, deadAt: Date) {
        self.message = message
        self.kind = kind
        self.correlationId = correlationId
        self.deadAt = deadAt
    }
}

/// How long a claim holds a message: the attempt's own timeout plus a margin for recording it.
public struct LeaseTerms: Sendable, Equatable {
    public var defaultTimeout: TimeInterval
    public var margin: TimeInterval
    /// Forwards in flight at once, to the control plane, and again to requests' own callback URLs (they have
    /// no endpoint of their own to bound them). The two pools are separate: a submitter's callback URL that
    /// stalls cannot hold up the control plane's decisions.
    public var forwardConcurrency: Int
    /// Forwards in flight to any one callback URL: a stalling URL holds this many slots of the callback pool, not all.
    public var callbackURLConcurrency: Int

    public init(defaultTimeout: TimeInterval, margin: TimeInterval = 30, forwardConcurrency: Int = 16,
                callbackURLConcurrency: Int = 8) {
        self.defaultTimeout = defaultTimeout
        self.margin = margin
        self.forwardConcurrency = forwardConcurrency
        self.callbackURLConcurrency = callbackURLConcurrency
    }

    /// The lease for a delivery to `endpoint`: the attempt's whole deadline and the margin for recording it.
    /// It is never renewed, since the attempt itself cannot run past its deadline (SPEC §11).
    public func duration(for endpoint: Endpoint?) -> TimeInterval {
        (endpoint?.settings.attemptTimeout(default: defaultTimeout) ?? defaultTimeout) + margin
    }
}

/// The message columns an attempt's completion writes, from its disposition: one rule for every store.
public struct CompletedMessage: Sendable, Equatable {
    public var state: MessageState
    public var dueAt: Double
    public var deadReason: DeadLetterReason?
    /// When the attempt ended, in unix seconds: the time every row of the record carries.
    public var now: Double
    /// When the message died, if this attempt killed it.
    public var deadAt: Double? { deadReason == nil ? nil : now }

    public init(_ completion: AttemptCompletion) {
        let attempt = completion.attempt
        now = attempt.startedAt.addingTimeInterval(Double(attempt.durationMs) / 1000).timeIntervalSince1970
        switch completion.disposition {
        case .delivered: (state, dueAt, deadReason) = (.delivered, now, nil)
        case .retry(let at): (state, dueAt, deadReason) = (.pending, at.timeIntervalSince1970, nil)
        case .dead(let reason): (state, dueAt, deadReason) = (.dead, now, reason)
        case .abandoned: (state, dueAt, deadReason) = (.abandoned, now, nil)
        }
    }
}

extension DeadLetterQuery {
    /// A value a filter term compares with.
    enum FilterValue {
        case text(String)
        case seconds(Double)
        case integer(Int64)
    }

    /// The dead-letter filters as WHERE terms over `messages m JOIN requests r`, each `?` standing for the
    /// next value: the one rule for the list, the dry run and the bulk replay of every store.
    var filterTerms: [(sql: String, values: [FilterValue])] {
        var terms: [(sql: String, values: [FilterValue])] = [("m.state = 'dead'", [])]
        if let endpoint { terms.append(("(m.endpoint_id = ? OR m.endpoint_name = ?)", [.text(endpoint), .text(endpoint)])) }
        if let kind { terms.append(("r.kind = ?", [.text(kind.rawValue)])) }
        if let reason { terms.append(("m.dead_reason = ?", [.text(reason.rawValue)])) }
        if let since { terms.append(("m.dead_at >= ?", [.seconds(since.timeIntervalSince1970)])) }
        if let until { terms.append(("m.dead_at < ?", [.seconds(until.timeIntervalSince1970)])) }
        return terms
    }
}
