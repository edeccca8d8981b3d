import Foundation
import RelayCore
import RelayStore

/// A quorum as the timeline shows it: what is needed, what is in, and each vote.
public struct ApprovalPolicyView: Encodable, Sendable {
    public var minApprovals: Int
    public var approvals: Int
    public var votes: [VoteView]

    public init(_ lifecycle: RequestLifecycle, votes: [Vote]) {
        minApprovals = lifecycle.minApprovals
        approvals = votes.filter(\.approves).count
        self.votes = votes.map(VoteView.init)
    }
}

public struct VoteView: Encodable, Sendable {
    public var endpoint: String
    public var decision: String
    public var reason: String?
    public var actor: String?
    public var path: String
    public var castAt: Date

    public init(_ vote: Vote) {
        endpoint = vote.endpoint
        decision = vote.decision.rawValue
        reason = vote.reason
        actor = vote.actor
        path = vote.path.rawValue
        castAt = vote.castAt
    }
}

public struct EscalationView: Encodable, Sendable {
    public var afterSec: Int
    public var endpoints: [String]
    public var fired: Bool
    public var dueAt: Date
}

/// One entry of the audit trail, as `GET /api/v1/audit` streams it (one JSON object per line) and the timeline shows it.
public struct AuditEntryView: Encodable, Sendable {
    public var seq: Int64
    public var recordedAt: Date
    public var recordedAtMs: Int64
    public var kind: String
    public var requestId: String
    public var correlationId: String
    public var path: String
    public var endpoint: String?
    public var actor: String?
    public var decision: String
    public var reason: String?
    public var bodySha256: String?
    public var previousHash: String
    public var hash: String

    public init(_ entry: AuditEntry) {
        let record = entry.record
        seq = entry.seq
        recordedAt = record.recordedAt
        recordedAtMs = record.recordedAtMs
        kind = record.kind
        requestId = record.requestId
        correlationId = record.correlationId
        path = record.path
        endpoint = record.endpoint
        actor = record.actor
        decision = record.decision
        reason = record.reason
        bodySha256 = record.bodySHA256
        previousHash = entry.previousHash
        hash = entry.hash
    }
}

/// A request's decision as `GET /api/v1/requests/{id}/decision` and a `Prefer: wait` submit answer it.
public struct DecisionView: Encodable, Sendable {
    public var id: String
    public var correlationId: String
    public var state: String
    /// Nil while the request waits for a decision.
    public var decision: String?
    public var reason: String?
    public var actor: String?
    public var result: JSONValue?
    public var decidedAt: Date?

    public init(_ request: RelayRequest) {
        id = request.id
        correlationId = request.correlationId
        state = request.state.rawValue
        decision = Decision(request.state)?.rawValue
        reason = request.decisionReason
        actor = request.decisionActor
        result = request.decisionResult
        decidedAt = request.decidedAt
    }
}

/// What a cancel answers: the request as it now stands, and whether it was cancelled before.
public struct CancelAnswer: Encodable, Sendable {
    public var id: String
    public var correlationId: String
    public var approvalRequestId: Int64?
    public var state: String
    public var reason: String?
    public var decidedAt: Date?
    public var duplicate: Bool

    public init(_ request: RelayRequest, duplicate: Bool) {
        id = request.id
        correlationId = request.correlationId
        approvalRequestId = request.approvalRequestId
        state = request.state.rawValue
        reason = request.decisionReason
        decidedAt = request.decidedAt
        self.duplicate = duplicate
    }
}

/// One request in the list.
public struct RequestSummaryView: Encodable, Sendable {
    public var id: String
    public var kind: String
    public var correlationId: String
    public var approvalRequestId: Int64?
    public var tool: String
    public var state: String
    public var createdAt: Date
    public var deadline: Date
    public var decidedAt: Date?
    public var decisionActor: String?
    public var minApprovals: Int?

    public init(_ request: RelayRequest) {
        id = request.id
        kind = request.kind.rawValue
        correlationId = request.correlationId
        approvalRequestId = request.approvalRequestId
        tool = request.tool
        state = request.state.rawValue
        createdAt = request.createdAt
        deadline = request.deadline
        decidedAt = request.decidedAt
        decisionActor = request.decisionActor
        minApprovals = request.lifecycle.needsVotes ? request.lifecycle.minApprovals : nil
    }
}

public struct RequestPageView: Encodable, Sendable {
    public var items: [RequestSummaryView]
    public var nextCursor: String?

    public init(_ page: RequestPage) {
        items = page.items.map(RequestSummaryView.init)
        nextCursor = page.nextCursor
    }
}

public struct AuditVerificationView: Encodable, Sendable {
    public var intact: Bool
    public var checked: Int
    public var headSeq: Int64
    public var headHash: String
    public var brokenAt: Int64?
    public var problem: String?

    public init(_ verification: AuditVerification) {
        intact = verification.isIntact
        checked = verification.checked
        headSeq = verification.head.seq
        headHash = verification.head.hash
        brokenAt = verification.broken?.seq
        problem = verification.broken?.description
    }
}
