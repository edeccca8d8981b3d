import Foundation
import RelayCore

/// Everything the engine reads inside an operation, as values: each backend answers them in its dialect.
/// `lock` asks a backend that has row locks (PostgreSQL) to hold the rows until the transaction ends;
/// SQLite's single writer already serializes every write transaction.
public enum StoreQuery: Sendable, Equatable {
    // Endpoints
    case endpoints
    case endpoint(idOrName: String)
    case endpointExists(id: String, lock: Bool)
    case endpointNameTaken(String, excludingId: String?)
    /// Messages still to deliver to an endpoint.
    case activeMessages(endpointId: String)
    /// Every enabled endpoint with its deliveries in flight (claims lock the endpoints they look at).
    case endpointLoads(now: Date)

    // Requests
    case idempotencyAnswer(key: String)
    case requestWithCorrelationId(String)
    case openRequest(approvalRequestId: Int64)
    case request(RequestLookup, lock: Bool)
    /// A request's deliveries, with each endpoint's `resolution_url`.
    case deliveries(requestId: String)
    /// The request a capability URL's token hash names, and the endpoint of the delivery that carried it.
    case capability(tokenHash: String)
    case votes(requestId: String)
    /// Requests still waiting for a decision whose next escalation step is due (locked, skipping those being decided).
    case dueForEscalation(now: Date, limit: Int)
    case endpointsById([String])
    /// A page of requests, newest first, one more than its limit.
    case requestPage(RequestListQuery)
    case timeline(idOrCorrelationId: String)
    /// Open requests whose deadline has passed, oldest deadline first (locked, skipping those being decided).
    case dueForExpiry(now: Date, limit: Int)

    // Outbox
    /// Whether this transaction may claim forwards (they have no endpoint row to lock: one instance at a time).
    case forwardClaimPermit
    case forwardLoad(now: Date)
    /// The earliest due forwards to callback URLs (locked, skipping those another claim holds).
    case callbackForwardCandidates(now: Date, limit: Int)
    /// Deliveries of a request other than `excluding` that may still reach a human.
    case liveDeliveries(requestId: String, excluding: String)
    case nextDueAt
    case message(id: String)
    case messageState(id: String, lock: Bool)

    // Dead letters and housekeeping
    /// The dead letters `DeadLetterQuery` selects after its cursor, newest first, one more than its limit.
    case deadLetters(DeadLetterQuery)
    case deadLetterCount(DeadLetterQuery)
    case outboxCounts
    case activity(since: Date)
    /// Decided requests older than `before` with nothing left to deliver (locked, skipping those in use).
    case purgeCandidates(before: Date, limit: Int)
    case sessionRevoked(nonce: String)
    case minuteActivity(since: Date)

    // Audit trail
    /// Where the chain stands (an append reads and locks it itself: `StoreWrite.appendAudit`).
    case auditHead
    case auditEntries(AuditQuery)
}

/// An enabled endpoint and how many of its deliveries are in flight now.
public struct EndpointLoad: Sendable, Equatable {
    public var endpoint: Endpoint
    public var inFlight: Int

    public init(endpoint: Endpoint, inFlight: Int) {
        self.endpoint = endpoint
        self.inFlight = inFlight
    }
}

/// Forwards in flight: to the control plane, and to each callback URL.
public struct ForwardLoad: Sendable, Equatable {
    public var controlPlane = 0
    public var byCallbackURL: [String: Int] = [:]

    public init(controlPlane: Int = 0, byCallbackURL: [String: Int] = [:]) {
        self.controlPlane = controlPlane
        self.byCallbackURL = byCallbackURL
    }
}

/// A due forward to a callback URL, before it is claimed.
public struct ForwardCandidate: Sendable, Equatable {
    public var id: String
    public var url: String

    public init(id: String, url: String) {
        self.id = id
        self.url = url
    }
}

/// What a fenced completion found: the message's request, endpoint and purpose, and its endpoint's circuit as
/// stored (the completion's own statement returns it, so no read follows it on PostgreSQL).
public struct FencedMessage: Sendable, Equatable {
    public var requestId: String
    public var endpointId: String?
    public var endpointName: String
    public var purpose: MessagePurpose
    public var circuit: CircuitReading?

    public init(requestId: String, endpointId: String?, endpointName: String, purpose: MessagePurpose, circuit: CircuitReading?) {
        self.requestId = requestId
        self.endpointId = endpointId
        self.endpointName = endpointName
        self.purpose = purpose
        self.circuit = circuit
    }
}

/// An endpoint's circuit bookkeeping as stored.
public struct CircuitReading: Sendable, Equatable {
    public var consecutiveFailures: Int
    public var nextProbeAt: Date?

    public init(consecutiveFailures: Int, nextProbeAt: Date?) {
        self.consecutiveFailures = consecutiveFailures
        self.nextProbeAt = nextProbeAt
    }
}

/// The first answer kept for an `Idempotency-Key`.
public struct StoredAnswer: Sendable, Equatable {
    public var bodyHash: String
    public var status: Int
    public var body: Data

    public init(bodyHash: String, status: Int, body: Data) {
        self.bodyHash = bodyHash
        self.status = status
        self.body = body
    }
}
