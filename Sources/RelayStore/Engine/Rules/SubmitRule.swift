import Foundation
import RelayCore

/// What a submit does, from what the store already holds under its keys.
enum SubmitRule {
    /// The answer when something already holds the submit's key, correlation id or approval_request_id;
    /// nil when the request is new.
    static func conflict(_ submit: NewRequest, kept: StoredAnswer?, sameCorrelationId: RelayRequest?,
                         openWithApprovalRequestId: RelayRequest?) -> SubmitOutcome? {
        if let kept {
            return kept.bodyHash == submit.idempotency?.bodyHash ? .replayed(status: kept.status, body: kept.body) : .keyReused
        }
        if let sameCorrelationId { return .correlationIdTaken(existing: sameCorrelationId) }
        if let openWithApprovalRequestId { return .approvalRequestIdOpen(existing: openWithApprovalRequestId) }
        return nil
    }

    /// The writes of a new request: the request, its messages and the answer kept for its key.
    static func writes(_ submit: NewRequest) -> [StoreWrite] {
        var writes: [StoreWrite] = [.insertRequest(submit.request, nextEscalationAt: submit.request.lifecycle.nextEscalation(createdAt: submit.request.createdAt))]
        writes += submit.messages.map(StoreWrite.insertMessage)
        if let idempotency = submit.idempotency {
            writes.append(.insertIdempotency(idempotency, requestId: submit.request.id, at: submit.request.createdAt))
        }
        if !submit.messages.isEmpty { writes.append(.notifyDue) }
        return writes
    }
}
