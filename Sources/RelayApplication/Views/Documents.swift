import Foundation
import RelayCore
import RelayDelivery
import RelayStore

/// An endpoint as the admin API shows it: secrets never, static header values redacted.
public struct EndpointView: Encodable, Sendable {
    public var id: String
    public var name: String
    public var role: String
    public var url: String
    public var headers: [String: String]
    public var tools: [String]
    public var maxAttempts: Int?
    public var timeoutMs: Int?
    public var concurrency: Int
    public var resolutionUrl: String?
    public var enabled: Bool
    public var disabledReason: String?
    /// When the previous secret stops signing, while a rotation is in progress.
    public var previousSecretExpiresAt: Date?
    /// `closed`, `open` (paused after a run of failures) or `half-open` (a probe may go).
    public var circuit: String
    public var consecutiveFailures: Int
    /// While the circuit is open: when the next single-delivery probe may go.
    public var nextProbeAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    /// The config file that declares the endpoint (SPEC §15): change it there, not through the API.
    public var declaredIn: String?
    /// Present only in the answer that created the secret.
    public var secret: String?

    public init(_ endpoint: Endpoint, now: Date, secret: String? = nil) {
        id = endpoint.id
        name = endpoint.name
        role = endpoint.role.rawValue
        url = endpoint.url
        headers = endpoint.headers.mapValues { _ in "<redacted>" }
        tools = endpoint.tools
        maxAttempts = endpoint.maxAttempts
        timeoutMs = endpoint.timeoutMs
        concurrency = endpoint.concurrency
        resolutionUrl = endpoint.settings.resolutionURL
        enabled = endpoint.enabled
        disabledReason = endpoint.disabledReason
        previousSecretExpiresAt = endpoint.activeSecrets(at: now).compactMap(\.expiresAt).max()
        circuit = CircuitBreaker.state(nextProbeAt: endpoint.nextProbeAt, now: now).rawValue
        consecutiveFailures = endpoint.consecutiveFailures
        nextProbeAt = endpoint.nextProbeAt
        createdAt = endpoint.createdAt
        updatedAt = endpoint.updatedAt
        declaredIn = endpoint.declaredIn
        self.secret = secret
    }
}

/// The answer to an accepted submit.
public struct SubmitAnswer: Encodable, Sendable {
    public var id: String
    public var correlationId: String
    public var approvalRequestId: Int64?
    public var kind: String
    public var state: String
    public var deadline: Date
    public var messages: [MessageRef]

    public struct MessageRef: Encodable, Sendable {
        public var id: String
        public var endpoint: String

        public init(id: String, endpoint: String) {
            self.id = id
            self.endpoint = endpoint
        }
    }
}

/// A request with its whole timeline.
public struct TimelineView: Encodable, Sendable {
    public var id: String
    public var kind: String
    public var correlationId: String
    public var approvalRequestId: Int64?
    public var tool: String
    public var state: String
    public var deadline: Date
    public var callbackUrl: String?
    public var decisionReason: String?
    public var decisionActor: String?
    public var decisionResult: JSONValue?
    public var decidedAt: Date?
    /// The `approval_state` a codex-k8s control plane last answered to a forward.
    public var controlPlaneState: String?
    /// Set when the control plane contradicted a forwarded decision.
    public var flag: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var payload: JSONValue?
    public var messages: [MessageView]
    /// Every callback that named the request, applied, duplicate or ignored, with who sent it.
    public var callbacks: [CallbackView]
    /// Present when the request needs several approvals: how many, and the votes so far.
    public var approvalPolicy: ApprovalPolicyView?
    /// The escalation steps, each with whether it has fired.
    public var escalation: [EscalationView]?
    /// The request's entries in the audit trail.
    public var audit: [AuditEntryView]

    public init(_ timeline: RequestTimeline) {
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
        let lifecycle = request.lifecycle
        approvalPolicy = lifecycle.needsVotes ? ApprovalPolicyView(lifecycle, votes: timeline.votes) : nil
        escalation = lifecycle.escalation.isEmpty ? nil : lifecycle.escalation.enumerated().map { index, step in
            EscalationView(afterSec: step.afterSec, endpoints: step.endpoints.map(\.name), fired: index < lifecycle.escalated,
                           dueAt: request.createdAt.addingTimeInterval(TimeInterval(step.afterSec)))
        }
        audit = timeline.audit.map(AuditEntryView.init)
    }
}

/// One callback in a timeline.
public struct CallbackView: Encodable, Sendable {
    public var receivedAt: Date
    public var path: String
    public var decision: String
    /// `applied`, `duplicate`, or `ignored` (refused by the state machine, 409).
    public var outcome: String
    public var endpoint: String?
    public var actor: String?
    /// The request's state after it.
    public var state: String
    public var bodyExcerpt: String?

    public init(_ record: CallbackRecord) {
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
public struct MessageView: Encodable, Sendable {
    public var id: String
    public var requestId: String
    public var purpose: String
    public var endpoint: String
    public var endpointId: String?
    /// For a forward: `callback`, `codex-k8s` or `native`.
    public var sink: String?
    public var url: String
    public var state: String
    public var attemptCount: Int
    /// When the next attempt is due (pending) or the lease ends (in flight).
    public var dueAt: Date?
    public var deadline: Date
    public var deadReason: String?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var attempts: [AttemptView]?

    public init(_ message: Message, attempts: [Attempt]?) {
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

public struct AttemptView: Encodable, Sendable {
    public var number: Int
    public var startedAt: Date
    public var durationMs: Int
    public var statusCode: Int?
    public var error: String?
    public var responseExcerpt: String?
    public var outcome: String

    public init(_ attempt: Attempt) {
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
public struct DeadLetterView: Encodable, Sendable {
    public var messageId: String
    public var requestId: String
    public var correlationId: String
    public var kind: String
    public var purpose: String
    public var endpoint: String
    public var reason: String?
    public var deadAt: Date
    public var attemptCount: Int
    public var lastError: String?

    public init(_ letter: DeadLetter) {
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

public struct DeadLetterPageView: Encodable, Sendable {
    public var items: [DeadLetterView]
    public var nextCursor: String?

    public init(_ page: DeadLetterPage) {
        items = page.items.map(DeadLetterView.init)
        nextCursor = page.nextCursor
    }
}

/// The endpoint list as the API answers it and the CLI prints it.
public struct EndpointList: Encodable, Sendable {
    public var items: [EndpointView]

    public init(items: [EndpointView]) {
        self.items = items
    }
}
