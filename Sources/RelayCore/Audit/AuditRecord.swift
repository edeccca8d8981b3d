import Foundation

/// One entry of the audit trail (SPEC §12): a decision, a vote, a cancel or an expiry, with where it came
/// from and the SHA-256 of the callback body that carried it. Times are whole milliseconds, so that what
/// is hashed is exactly what is stored.
public struct AuditRecord: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case decision, vote, cancel, expiry
    }

    /// A `Kind`, kept as the text stored: an entry altered in the database must still be read, and then fail its hash.
    public var kind: String
    public var recordedAtMs: Int64
    public var requestId: String
    public var correlationId: String
    public var path: String
    public var endpoint: String?
    public var actor: String?
    public var decision: String
    public var reason: String?
    public var bodySHA256: String?

    public init(kind: String, recordedAtMs: Int64, requestId: String, correlationId: String, path: String, endpoint: String? = nil,
                actor: String? = nil, decision: String, reason: String? = nil, bodySHA256: String? = nil) {
        self.kind = kind
        self.recordedAtMs = recordedAtMs
        self.requestId = requestId
        self.correlationId = correlationId
        self.path = path
        self.endpoint = endpoint
        self.actor = actor
        self.decision = decision
        self.reason = reason
        self.bodySHA256 = bodySHA256
    }

    /// The record of `decision` on `request`, from `source`, at `now`.
    public init(_ kind: Kind, _ decision: NormalizedDecision, request: RelayRequest, source: DecisionSource, endpoint: String?, at now: Date) {
        self.init(kind: kind.rawValue, recordedAtMs: AuditRecord.milliseconds(now), requestId: request.id, correlationId: request.correlationId,
                  path: source.path.rawValue, endpoint: endpoint, actor: decision.actor, decision: decision.decision.rawValue,
                  reason: decision.reason, bodySHA256: source.body.map(Fingerprint.sha256Hex))
    }

    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// A tenth of a microsecond past the millisecond: the ISO 8601 form truncates, and 1796675660.478 is stored
    /// as …660.4779999, which would print as .477.
    public var recordedAt: Date { Date(timeIntervalSince1970: TimeInterval(recordedAtMs) / 1000 + 0.000_000_1) }
}

/// A record in its place in the chain.
public struct AuditEntry: Sendable, Equatable {
    public var seq: Int64
    public var record: AuditRecord
    /// The hash of the entry before it (`AuditChain.genesis` for the first).
    public var previousHash: String
    public var hash: String

    public init(seq: Int64, record: AuditRecord, previousHash: String, hash: String) {
        self.seq = seq
        self.record = record
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// Where the chain stands: the last entry's position and hash.
public struct AuditHead: Sendable, Equatable {
    public var seq: Int64
    public var hash: String

    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    public static let genesis = AuditHead(seq: 0, hash: AuditChain.genesis)
}
