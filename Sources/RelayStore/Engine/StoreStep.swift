import Foundation
import RelayCore

/// One operation of the engine as a chain of reads and writes: each step names what it needs, and the
/// rest of the operation is a pure function of what the backend answered. A backend runs the whole chain
/// in one transaction (a write step's transaction) — synchronously in SQLite's writer, asynchronously on
/// a PostgreSQL connection — and may run it again from the start when its database asks for a retry.
public indirect enum StoreStep<Result: Sendable>: Sendable {
    case read(StoreQuery, next: @Sendable (StoreValue) throws -> StoreStep<Result>)
    case write([StoreWrite], next: @Sendable ([StoreValue]) throws -> StoreStep<Result>)
    case done(Result)

    /// Writes whose answers the rest of the operation does not need.
    static func write(_ writes: [StoreWrite], then next: @escaping @Sendable () throws -> StoreStep<Result>) -> StoreStep<Result> {
        .write(writes, next: { _ in try next() })
    }

    /// Writes, then the result.
    static func finish(_ writes: [StoreWrite], _ result: Result) -> StoreStep<Result> {
        writes.isEmpty ? .done(result) : .write(writes, next: { _ in .done(result) })
    }

    /// This chain, then the one `next` makes of its result, in the same transaction.
    func then<Other: Sendable>(_ next: @escaping @Sendable (Result) throws -> StoreStep<Other>) throws -> StoreStep<Other> {
        switch self {
        case .read(let query, let rest): return .read(query) { try rest($0).then(next) }
        case .write(let writes, let rest): return .write(writes) { try rest($0).then(next) }
        case .done(let result): return try next(result)
        }
    }
}

/// Whether an operation changes the store (one write transaction) or only reads it.
public enum StoreAccess: Sendable {
    case read
    case write
}

/// A backend answered a query or write with a value of the wrong shape: a bug in that backend.
struct UnexpectedStoreValue: Error, CustomStringConvertible {
    var expected: String
    var description: String { "the store's backend answered with something other than \(expected)" }
}

extension StoreValue {
    var flag: Bool { get throws { if case .flag(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a flag") } }
    var count: Int { get throws { if case .count(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a count") } }
    var time: Date? { get throws { if case .time(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a time") } }
    var names: [String] { get throws { if case .name(let v) = self { return v }; throw UnexpectedStoreValue(expected: "names") } }
    var deliveries: [DeliveryState] { get throws { if case .deliveries(let v) = self { return v }; throw UnexpectedStoreValue(expected: "deliveries") } }
    var capability: CapabilityHolder? { get throws { if case .capability(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a capability") } }
    var votes: [Vote] { get throws { if case .votes(let v) = self { return v }; throw UnexpectedStoreValue(expected: "votes") } }
    var auditHead: AuditHead { get throws { if case .auditHead(let v) = self { return v }; throw UnexpectedStoreValue(expected: "the audit head") } }
    var auditEntries: [AuditEntry] { get throws { if case .auditEntries(let v) = self { return v }; throw UnexpectedStoreValue(expected: "audit entries") } }
    var deadLettered: [DeadLetterNote] { get throws { if case .deadLettered(let v) = self { return v }; throw UnexpectedStoreValue(expected: "dead letters made") } }
    var minuteActivity: MinuteActivity { get throws { if case .minuteActivity(let v) = self { return v }; throw UnexpectedStoreValue(expected: "minute activity") } }
    var ids: [String] { get throws { if case .ids(let v) = self { return v }; throw UnexpectedStoreValue(expected: "ids") } }
    var request: RelayRequest? { get throws { if case .request(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a request") } }
    var requests: [RelayRequest] { get throws { if case .requests(let v) = self { return v }; throw UnexpectedStoreValue(expected: "requests") } }
    var endpoint: Endpoint? { get throws { if case .endpoint(let v) = self { return v }; throw UnexpectedStoreValue(expected: "an endpoint") } }
    var endpoints: [Endpoint] { get throws { if case .endpoints(let v) = self { return v }; throw UnexpectedStoreValue(expected: "endpoints") } }
    var loads: [EndpointLoad] { get throws { if case .loads(let v) = self { return v }; throw UnexpectedStoreValue(expected: "endpoint loads") } }
    var forwardLoad: ForwardLoad { get throws { if case .forwardLoad(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a forward load") } }
    var candidates: [ForwardCandidate] { get throws { if case .candidates(let v) = self { return v }; throw UnexpectedStoreValue(expected: "forward candidates") } }
    var message: Message? { get throws { if case .message(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a message") } }
    var messageState: MessageState? { get throws { if case .messageState(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a message state") } }
    var answer: StoredAnswer? { get throws { if case .answer(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a stored answer") } }
    var timeline: RequestTimeline? { get throws { if case .timeline(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a timeline") } }
    var deadLetters: [DeadLetter] { get throws { if case .deadLetters(let v) = self { return v }; throw UnexpectedStoreValue(expected: "dead letters") } }
    var claimed: [ClaimedMessage] { get throws { if case .claimed(let v) = self { return v }; throw UnexpectedStoreValue(expected: "claimed messages") } }
    var fenced: FencedMessage? { get throws { if case .fenced(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a fenced message") } }
    var outboxCounts: OutboxCounts { get throws { if case .outboxCounts(let v) = self { return v }; throw UnexpectedStoreValue(expected: "outbox counts") } }
    var activity: ActivitySummary { get throws { if case .activity(let v) = self { return v }; throw UnexpectedStoreValue(expected: "activity") } }
    var purged: PurgeResult { get throws { if case .purged(let v) = self { return v }; throw UnexpectedStoreValue(expected: "a purge result") } }
}
