import Foundation
import Logging
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// An endpoint as the admin API shows it: secrets never, static header values redacted.
struct EndpointView: Encodable {
    var id: String
    var name: String
    var role: String
    var url: String
    var headers: [String: String]
    var tools: [String]
    var maxAttempts: Int?
    var timeoutMs: Int?
    var concurrency: Int
    var enabled: Bool
    var disabledReason: String?
    /// When the previous secret stops signing, while a rotation is in progress.
    var previousSecretExpiresAt: Date?
    /// `closed`, `open` (paused after a run of failures) or `half-open` (a probe may go).
    var circuit: String
    var consecutiveFailures: Int
    /// While the circuit is open: when the next single-delivery probe may go.
    var nextProbeAt: Date?
    var createdAt: Date
    var updatedAt: Date
    /// Present only in the answer that created the secret.
    var secret: String?

    init(_ endpoint: Endpoint, now: Date, secret: String? = nil) {
        id = endpoint.id
        name = endpoint.name
        role = endpoint.role.rawValue
        url = endpoint.url
        headers = endpoint.headers.mapValues { _ in "<redacted>" }
        tools = endpoint.tools
        maxAttempts = endpoint.maxAttempts
        timeoutMs = endpoint.timeoutMs
        concurrency = endpoint.concurrency
        enabled = endpoint.enabled
        disabledReason = endpoint.disabledReason
        previousSecretExpiresAt = endpoint.activeSecrets(at: now).compactMap(\.expiresAt).max()
        circuit = CircuitBreaker.state(nextProbeAt: endpoint.nextProbeAt, now: now).rawValue
        consecutiveFailures = endpoint.consecutiveFailures
        nextProbeAt = endpoint.nextProbeAt
        createdAt = endpoint.createdAt
        updatedAt = endpoint.updatedAt
        self.secret = secret
    }
}

/// The answer to an accepted submit.
struct SubmitAnswer: Encodable {
    var id: String
    var correlationId: String
    var approvalRequestId: Int64?
    var kind: String
    var state: String
    var deadline: Date
    var messages: [MessageRef]

    struct MessageRef: Encodable {
        var id: String
        var endpoint: String
    }
}

/// A request with its whole timeline.
struct TimelineView: Encodable {
    var id: String
    var kind: String
    var correlationId: String
    var approvalRequestId: Int64?
    var tool: String
    var state: String
    var deadline: Date
    var callbackUrl: String?
    var decisionReason: String?
    var decisionActor: String?
    var decisionResult: JSONValue?
    var decidedAt: Date?
    /// The `approval_state` a codex-k8s control plane last answered to a forward.
    var controlPlaneState: String?
    /// Set when the control plane contradicted a forwarded decision.
    var flag: String?
    var createdAt: Date
    var updatedAt: Date
    var payload: JSONValue?
    var messages: [MessageView]
    /// Every callback that named the request, applied, duplicate or ignored, with who sent it.
    var callbacks: [CallbackView]

    init(_ timeline: RequestTimeline) {
        let request = timeline.request
        id = request.id
        kind = request.kind.rawValue
        correlationId = request.correlationId
        approvalRequestId = request.approvalRequestId
        tool = request.tool
        state = request.state.rawValue
        deadline = request.deadline
        callbackUrl = request.callbackURL
        decisionReason = request.decisionReason
        decisionActor = request.decisionActor
        decisionResult = request.decisionResult
        decidedAt = request.decidedAt
        controlPlaneState = request.controlPlaneState
        flag = request.flag
        createdAt = request.createdAt
        updatedAt = request.updatedAt
        payload = JSONValue.parse(request.payload)
        messages = timeline.messages.map { MessageView($0.message, attempts: $0.attempts) }
        callbacks = timeline.callbacks.map(CallbackView.init)
    }
}

/// One callback in a timeline.
struct CallbackView: Encodable {
    var receivedAt: Date
    var path: String
    var decision: String
    /// `applied`, `duplicate`, or `ignored` (refused by the state machine, 409).
    var outcome: String
    var endpoint: String?
    var actor: String?
    /// The request's state after it.
    var state: String
    var bodyExcerpt: String?

    init(_ record: CallbackRecord) {
        receivedAt = record.receivedAt
        path = record.path
        decision = record.decision
        outcome = record.outcome.rawValue
        endpoint = record.endpoint
        actor = record.actor
        state = record.state.rawValue
        bodyExcerpt = record.excerpt
    }
}

/// A message and its attempts.
struct MessageView: Encodable {
    var id: String
    var requestId: String
    var purpose: String
    var endpoint: String
    var endpointId: String?
    /// For a forward: `callback`, `codex-k8s` or `native`.
    var sink: String?
    var url: String
    var state: String
    var attemptCount: Int
    /// When the next attempt is due (pending) or the lease ends (in flight).
    var dueAt: Date?
    var deadline: Date
    var deadReason: String?
    var lastError: String?
    var createdAt: Date
    var updatedAt: Date
    var attempts: [AttemptView]?

    init(_ message: Message, attempts: [Attempt]?) {
        id = message.id
        requestId = message.requestId
        purpose = message.purpose.rawValue
        endpoint = message.endpointName
        endpointId = message.endpointId
        sink = message.sink?.rawValue
        url = message.url
        state = message.state.rawValue
        attemptCount = message.attemptCount
        dueAt = (message.state == .pending || message.state == .inflight) ? message.dueAt : nil
        deadline = message.deadline
        deadReason = message.deadReason?.rawValue
        lastError = message.lastError
        createdAt = message.createdAt
        updatedAt = message.updatedAt
        self.attempts = attempts?.map(AttemptView.init)
    }
}

struct AttemptView: Encodable {
    var number: Int
    var startedAt: Date
    var durationMs: Int
    var statusCode: Int?
    var error: String?
    var responseExcerpt: String?
    var outcome: String

    init(_ attempt: Attempt) {
        number = attempt.number
        startedAt = attempt.startedAt
        durationMs = attempt.durationMs
        statusCode = attempt.statusCode
        error = attempt.error
        responseExcerpt = attempt.responseExcerpt
        outcome = attempt.outcome.rawValue
    }
}

/// One dead letter in the list.
struct DeadLetterView: Encodable {
    var messageId: String
    var requestId: String
    var correlationId: String
    var kind: String
    var purpose: String
    var endpoint: String
    var reason: String?
    var deadAt: Date
    var attemptCount: Int
    var lastError: String?

    init(_ letter: DeadLetter) {
        messageId = letter.message.id
        requestId = letter.message.requestId
        correlationId = letter.correlationId
        kind = letter.kind.rawValue
        purpose = letter.message.purpose.rawValue
        endpoint = letter.message.endpointName
        reason = letter.message.deadReason?.rawValue
        deadAt = letter.deadAt
        attemptCount = letter.message.attemptCount
        lastError = letter.message.lastError
    }
}

struct DeadLetterPageView: Encodable {
    var items: [DeadLetterView]
    var nextCursor: String?
}

/// A request's timeline in the admin API's shape, for the command line.
public struct TimelineDocument: Encodable {
    let view: TimelineView

    public init(_ timeline: RequestTimeline) {
        view = TimelineView(timeline)
    }

    public func encode(to encoder: any Encoder) throws {
        try view.encode(to: encoder)
    }
}

/// A page of dead letters in the admin API's shape, for the command line.
public struct DeadLetterList: Encodable {
    let view: DeadLetterPageView

    public init(_ page: DeadLetterPage) {
        view = DeadLetterPageView(items: page.items.map(DeadLetterView.init), nextCursor: page.nextCursor)
    }

    public func encode(to encoder: any Encoder) throws {
        try view.encode(to: encoder)
    }
}
