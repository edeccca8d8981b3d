import Foundation

/// One approval or execution request, as the relay holds it.
public struct RelayRequest: Sendable, Equatable {
    public var id: String
    public var kind: RequestKind
    public var correlationId: String
    public var approvalRequestId: Int64?
    public var tool: String
    public var state: RequestState
    /// The contract-A body as submitted (fields the relay does not know included).
    public var payload: Data
    /// Where the decision goes back (contract A), when the submit named one.
    public var callbackURL: String?
    public var deadline: Date
    public var createdAt: Date
    public var updatedAt: Date
    public var decisionReason: String?
    public var decidedAt: Date?
    /// Who decided, when the peer said (contract B `actor_id`).
    public var decisionActor: String?
    /// An executor's result, as it sent it.
    public var decisionResult: JSONValue?
    /// The `approval_state` the codex-k8s control plane last answered to a forward.
    public var controlPlaneState: String?
    /// Set when something needs an operator's eye (the control plane contradicted a forwarded decision).
    public var flag: String?
    /// Quorum and escalation (SPEC §12); `.standard` when the submit asked for neither.
    public var lifecycle: RequestLifecycle = .standard
    /// The control plane's own reference for the request, when it gave one (`control_plane_ref`: kodex's
    /// interaction request id, SPEC §13).
    public var controlPlaneRef: String?
    /// The trace the submit continued or started (SPEC §14): every later step of the request joins it.
    public var trace: TraceHeaders?

    public init(
        id: String, kind: RequestKind, correlationId: String, approvalRequestId: Int64?, tool: String,
        state: RequestState, payload: Data, callbackURL: String?, deadline: Date, createdAt: Date,
        updatedAt: Date, decisionReason: String? = nil, decidedAt: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.correlationId = correlationId
        self.approvalRequestId = approvalRequestId
        self.tool = tool
        self.state = state
        self.payload = payload
        self.callbackURL = callbackURL
        self.deadline = deadline
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.decisionReason = decisionReason
        self.decidedAt = decidedAt
    }
}

extension RelayRequest {
    /// The request after `decision` moved it to `state` at `now`.
    public func moved(to state: RequestState, by decision: NormalizedDecision, at now: Date) -> RelayRequest {
        var moved = self
        moved.state = state
        moved.decisionReason = decision.reason
        moved.decisionActor = decision.actor
        moved.decisionResult = decision.result
        moved.decidedAt = now
        moved.updatedAt = now
        return moved
    }
}
