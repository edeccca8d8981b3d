import Foundation
import RelayCore

/// Every change the engine makes, as values: what to insert, update, dead-letter, which circuit to move.
/// A backend executes each in its dialect and answers with the rows it fenced or counted (`StoreValue`).
public enum StoreWrite: Sendable, Equatable {
    // Endpoints
    case insertEndpoint(Endpoint)
    /// Answers `.count`: 0 when no endpoint has this id.
    case updateEndpoint(Endpoint)
    case deleteEndpoint(id: String)
    case setNextProbe(endpointId: String, at: Date)
    case setCircuit(endpointId: String, consecutiveFailures: Int, nextProbeAt: Date?)
    case disableEndpoint(id: String, reason: String, at: Date)

    // Requests
    /// A new request; `nextEscalationAt` is when its first escalation step is due, if it has one.
    case insertRequest(RelayRequest, nextEscalationAt: Date?)
    case insertMessage(Message)
    case insertIdempotency(IdempotencyRecord, requestId: String, at: Date)
    case recordDecision(requestId: String, state: RequestState, decision: NormalizedDecision, at: Date)
    /// The request expired: its undelivered deliveries become dead letters, reason `deadline`.
    case expireDeliveries(requestId: String, at: Date)
    case insertCallbackEvent(requestId: String, CallbackRecord)
    /// Deliveries of the request not yet sent become `superseded`; answers `.count`.
    case supersedeDeliveries(requestId: String, at: Date)
    case insertVote(requestId: String, Vote)
    /// An escalation step fired: the request's lifecycle with its count, and when the next step is due.
    case recordEscalation(requestId: String, RequestLifecycle, nextAt: Date?, at: Date)
    /// Appends records to the audit chain after its head, which the write reads and locks itself (each linked by
    /// `AuditChain`), and moves the head to the last of them. The head stays locked until the commit: it is a
    /// decision's last write.
    case appendAudit([AuditRecord])
    /// Ends every wait for this request's decision once the transaction commits, on every instance (SPEC §12).
    case notifyDecided(requestId: String)
    case recordControlPlaneAnswer(requestId: String, ControlPlaneAnswer, at: Date)

    // Outbox: every claim answers `.claimed`, leased to `owner` until `leaseUntil`.
    /// Due deliveries of one endpoint, at most `take`, the endpoint's current URL written into them.
    case claimDeliveries(endpoint: Endpoint, owner: String, now: Date, leaseUntil: Date, take: Int)
    case claimControlPlaneForwards(owner: String, now: Date, leaseUntil: Date, take: Int)
    case claimMessages(ids: [String], owner: String, now: Date, leaseUntil: Date)
    /// Records an attempt's outcome on its message if `leaseToken` still holds the lease; answers `.fenced`.
    case completeMessage(id: String, leaseToken: Int64, CompletedMessage, error: String?)
    case insertAttempt(Attempt)
    /// Dead-letters undelivered messages whose deadline has passed; answers `.deadLettered`.
    case deadLetterPastDeadline(now: Date)

    // Leases and instances: each answers `.count`, the messages returned to the queue.
    case heartbeat(owner: String, now: Date)
    /// Forgets instances whose heartbeat is older than `staleBefore` and returns their in-flight messages.
    case reclaimFromStaleInstances(owner: String, now: Date, staleBefore: Date)
    /// Returns every in-flight message `owner` does not hold (the single owner of a SQLite file, at start).
    case reclaimAllBut(owner: String, now: Date)
    /// Forgets `owner` and returns its in-flight messages.
    case releaseLeases(owner: String, now: Date)

    // Dead letters and housekeeping
    /// Puts dead letters back in the queue, due now, with a fresh attempt budget; answers `.count`.
    case replay(ReplayTarget, now: Date, deadline: Date)
    /// Deletes these requests with their messages, attempts and keys; answers `.purged`.
    case purge(requestIds: [String])
    case revokeSession(nonce: String, expiresAt: Date, now: Date)

    /// Wakes every instance's dispatcher once the transaction commits (a no-op where one process owns the store).
    case notifyDue
}

extension StoreWrite {
    /// Whether the write answers `.deadLettered`: the dead letters it made, which owe operational events.
    var makesDeadLetters: Bool {
        switch self {
        case .expireDeliveries, .deadLetterPastDeadline: true
        default: false
        }
    }
}

/// Which dead letters a replay takes.
public enum ReplayTarget: Sendable, Equatable {
    case message(id: String)
    case matching(DeadLetterQuery)
}

/// What a backend answers to a query or a write.
public enum StoreValue: Sendable {
    case nothing
    case flag(Bool)
    case count(Int)
    case time(Date?)
    case name([String])
    case deliveries([DeliveryState])
    case capability(CapabilityHolder?)
    case votes([Vote])
    case auditHead(AuditHead)
    case auditEntries([AuditEntry])
    case minuteActivity(MinuteActivity)
    case deadLettered([DeadLetterNote])
    case ids([String])
    case request(RelayRequest?)
    case requests([RelayRequest])
    case endpoint(Endpoint?)
    case endpoints([Endpoint])
    case loads([EndpointLoad])
    case forwardLoad(ForwardLoad)
    case candidates([ForwardCandidate])
    case message(Message?)
    case messageState(MessageState?)
    case answer(StoredAnswer?)
    case timeline(RequestTimeline?)
    case deadLetters([DeadLetter])
    case claimed([ClaimedMessage])
    case fenced(FencedMessage?)
    case outboxCounts(OutboxCounts)
    case activity(ActivitySummary)
    case purged(PurgeResult)
}
