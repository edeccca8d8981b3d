import Foundation
import RelayCore

/// The operations the relay needs from durable storage. Every method that changes state does so in
/// one transaction and returns only after it is durable.
public protocol RelayStore: Sendable {
    /// Brings the schema up to date.
    func migrate() async throws
    /// True when the store answers and its schema is current.
    func isReady() async -> Bool
    /// Stops background work and closes connections.
    func close() async throws

    // MARK: Endpoints

    /// Stores a new endpoint; throws `StoreError.conflict` when its name is taken.
    func createEndpoint(_ endpoint: Endpoint) async throws
    /// Every endpoint, by name.
    func endpoints() async throws -> [Endpoint]
    /// The endpoint with this id or, failing that, this name.
    func endpoint(idOrName: String) async throws -> Endpoint?
    /// Replaces an endpoint's settings; throws `StoreError.notFound` or `.conflict`.
    func updateEndpoint(_ endpoint: Endpoint) async throws
    /// Deletes an endpoint; throws `StoreError.busy` while it still has messages to deliver.
    func deleteEndpoint(id: String) async throws

    // MARK: Requests

    /// Stores a request with its messages, or answers an idempotent replay.
    func submit(_ submit: NewRequest) async throws -> SubmitOutcome
    /// A request with its messages and their attempts, by id or correlation id.
    func timeline(idOrCorrelationId: String) async throws -> RequestTimeline?
    /// A page of requests, newest first.
    func requests(_ query: RequestListQuery) async throws -> RequestPage

    // MARK: Decisions

    /// The request a callback names, if any.
    func request(_ lookup: RequestLookup) async throws -> RelayRequest?
    /// The request a capability URL's token names, with the endpoint of the delivery that carried it.
    func capability(tokenHash: String) async throws -> CapabilityHolder?

    /// Applies a decision (a cancel included) through the transition table — or, on a request that needs several
    /// approvals, counts it as its endpoint's vote — and commits in one transaction the request's new state, its
    /// forwards, its superseded deliveries, the notices to endpoints that were shown it and its audit record.
    /// Decisions for one request are serialized. A callback (`source.door`) is kept in the request's timeline
    /// with what became of it; a decision without an actor is credited to the endpoint its door names, or to the
    /// only endpoint the request went to.
    func decide(_ target: RequestLookup, _ decision: NormalizedDecision, source: DecisionSource, planner: ForwardPlanner,
                now: Date) async throws -> DecisionOutcome
    /// Expires open requests whose deadline has passed (at most `limit`), forwarding `expired` and
    /// dead-lettering their undelivered deliveries (reason `deadline`).
    func expireDue(now: Date, planner: ForwardPlanner, limit: Int) async throws -> [RelayRequest]
    /// Delivers requests that nobody decided in time to their next escalation step's endpoints (at most `limit` requests).
    func escalateDue(now: Date, deliveries: DeliveryFactory, limit: Int) async throws -> [Escalation]

    // MARK: Audit trail

    /// Where the chain stands.
    func auditHead() async throws -> AuditHead
    /// Entries in `seq` order, as `query` selects them.
    func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry]

    // MARK: Outbox

    /// Claims due messages under a lease, at most `limit`, each endpoint within its concurrency.
    func claimDue(now: Date, owner: String, limit: Int, lease: LeaseTerms) async throws -> [ClaimedMessage]
    /// Records an attempt and the message's next step (and a synchronous adapter's decision, through
    /// `planner`). False when the lease was lost (fencing).
    func complete(_ completion: AttemptCompletion, planner: ForwardPlanner) async throws -> Bool
    /// Keeps `owner` alive and returns to the queue, due now, the in-flight messages of owners that are not:
    /// on SQLite (one `serve` per file, under its lock) every lease an earlier process left, at the first
    /// call; on PostgreSQL those of instances whose heartbeat is older than `instanceTimeout`.
    func reclaimLeases(owner: String, now: Date, instanceTimeout: TimeInterval) async throws -> Int
    /// Returns an owner's in-flight messages to the queue, due now.
    func releaseLeases(owner: String, now: Date) async throws -> Int
    /// Dead-letters undelivered messages whose deadline has passed (each an operational event, when `planner` has them).
    func deadLetterExpired(now: Date, planner: ForwardPlanner) async throws -> Int
    /// The earliest due time of a claimable message, if any.
    func nextDueAt() async throws -> Date?

    // MARK: Dead letters

    /// A page of dead letters, newest first.
    func deadLetters(_ query: DeadLetterQuery) async throws -> DeadLetterPage
    /// Puts a dead letter back in the queue, due now, keeping its id and history.
    func replay(messageId: String, now: Date, deadline: Date) async throws -> Message
    /// Replays every dead letter matching `filter` (its cursor and limit are ignored) in one transaction,
    /// or with `dryRun` only counts them. Returns the count.
    func replayDeadLetters(_ filter: DeadLetterQuery, now: Date, deadline: Date, dryRun: Bool) async throws -> Int

    // MARK: Housekeeping

    /// Messages by state and dead letters by reason.
    func outboxCounts() async throws -> OutboxCounts
    /// Requests by state, and attempts per endpoint since `since` with the latest failure among them.
    func activity(since: Date) async throws -> ActivitySummary
    /// Attempts, dead letters and delivery latency per minute since `since`.
    func minuteActivity(since: Date) async throws -> MinuteActivity
    /// Deletes up to `limit` decided requests last changed before `cutoff` that have nothing left to
    /// deliver, with their messages, attempts and idempotency keys, in one short transaction.
    func purgeFinished(before cutoff: Date, limit: Int) async throws -> PurgeResult

    // MARK: Console sessions

    /// Records a signed-out console session so that no instance accepts its cookie again before `expiresAt`.
    func revokeConsoleSession(nonce: String, expiresAt: Date, now: Date) async throws
    /// True when the session with this nonce was signed out.
    func isConsoleSessionRevoked(nonce: String) async throws -> Bool

    // MARK: Wake-ups

    /// Yields when a message may have become due through another process sharing the store (the driver's).
    func dueSignals() -> AsyncStream<Void>
    /// Yields the id of each request a committed transaction resolved, on every instance sharing the store.
    func decisionSignals() -> AsyncStream<String>

    /// Writes a consistent copy of the store to a new file at `path` while the relay runs (SQLite; a PostgreSQL
    /// store refuses: `pg_dump` is its backup).
    func backup(to path: String) async throws -> BackupSummary
}

extension RelayStore {
    /// A decision through a shared-token door that kept no callback record: what the store tests decide with.
    public func decide(_ target: RequestLookup, _ decision: NormalizedDecision, planner: ForwardPlanner, now: Date) async throws -> DecisionOutcome {
        try await decide(target, decision, source: DecisionSource(path: .sharedToken), planner: planner, now: now)
    }
}

/// Errors a store reports to its callers.
public enum StoreError: Error, Equatable, Sendable {
    case notFound(String)
    case conflict(String)
    case busy(String)
    /// The database cannot be reached right now; the caller may try again.
    case unavailable(String)
    /// This store does not do that (a PostgreSQL store's backup); the message says what does.
    case unsupported(String)
}

extension StoreError {
    static let auditHeadMissing = StoreError.conflict("the audit trail's head row is missing: the database was changed by hand; restore it from a backup")
}

extension StoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notFound(let message), .conflict(let message), .busy(let message), .unavailable(let message), .unsupported(let message): message
        }
    }
}
