import Foundation

/// The hash chain of the audit trail: each entry holds the SHA-256 of the one before, so that altering,
/// removing or reordering a stored entry breaks every link after it. One place computes a link; the store
/// appends with it and `webhook-relay audit verify` checks with it.
public enum AuditChain {
    /// What the first entry names as its previous hash.
    public static let genesis = String(repeating: "0", count: 64)

    /// The hash of an entry: SHA-256 over its position, its fields and the previous hash, as canonical JSON
    /// (sorted keys, absent fields as null), so that any reader can recompute it.
    public static func hash(seq: Int64, _ record: AuditRecord, previous: String) -> String {
        Fingerprint.sha256Hex(canonical(seq: seq, record, previous: previous))
    }

    static func canonical(seq: Int64, _ record: AuditRecord, previous: String) -> Data {
        JSONValue.object([
            "seq": .integer(seq), "recorded_at_ms": .integer(record.recordedAtMs), "kind": .string(record.kind),
            "request_id": .string(record.requestId), "correlation_id": .string(record.correlationId), "path": .string(record.path),
            "endpoint": record.endpoint.map(JSONValue.string) ?? .null, "actor": record.actor.map(JSONValue.string) ?? .null,
            "decision": .string(record.decision), "reason": record.reason.map(JSONValue.string) ?? .null,
            "body_sha256": record.bodySHA256.map(JSONValue.string) ?? .null, "previous_hash": .string(previous),
        ]).encoded()
    }

    /// What is hashed for `record`, around the two values only the chain's head supplies: the canonical form is
    /// `beforePrevious + previous hash + beforeSeq + seq in decimal + "}"` ("previous_hash" sorts before "seq",
    /// the last key). A store that links an entry where it reads the head (PostgreSQL, in the statement that locks
    /// it) hashes these bytes with the head's values, so the lock is held for one statement, not a round trip more.
    public static func template(_ record: AuditRecord) -> (beforePrevious: Data, beforeSeq: Data) {
        // Quotes inside values are escaped, so the key with its quotes occurs only as the key.
        let text = String(decoding: canonical(seq: 0, record, previous: genesis), as: UTF8.self)
        let previousKey = "\"previous_hash\":\"", seqKey = ",\"seq\":"
        let previous = text.range(of: previousKey + genesis + "\"")!
        precondition(text.hasSuffix(seqKey + "0}"), "seq is the last key of an audit entry's canonical form")
        return (Data(text[..<text.index(previous.lowerBound, offsetBy: previousKey.count)].utf8),
                Data(("\"" + text[previous.upperBound...].dropLast(2)).utf8))
    }

    /// `records` chained after `head`, in order.
    public static func append(_ records: [AuditRecord], after head: AuditHead) -> [AuditEntry] {
        var previous = head
        return records.map { record in
            let seq = previous.seq + 1
            let entry = AuditEntry(seq: seq, record: record, previousHash: previous.hash, hash: hash(seq: seq, record, previous: previous.hash))
            previous = AuditHead(seq: seq, hash: entry.hash)
            return entry
        }
    }

    /// The first link that does not hold, checking `entries` (in `seq` order) as they continue from `start`.
    public static func firstBreak(in entries: some Sequence<AuditEntry>, after start: AuditHead = .genesis) -> AuditBreak? {
        var previous = start
        for entry in entries {
            if entry.seq != previous.seq + 1 {
                return AuditBreak(seq: entry.seq, requestId: entry.record.requestId,
                                  problem: "the chain jumps from entry \(previous.seq) to \(entry.seq): entries are missing")
            }
            if entry.previousHash != previous.hash {
                return AuditBreak(seq: entry.seq, requestId: entry.record.requestId,
                                  problem: "its previous_hash is not the hash of entry \(previous.seq): an entry before it was changed, removed or reordered")
            }
            if hash(seq: entry.seq, entry.record, previous: entry.previousHash) != entry.hash {
                return AuditBreak(seq: entry.seq, requestId: entry.record.requestId,
                                  problem: "its content does not match its hash: the entry was altered")
            }
            previous = AuditHead(seq: entry.seq, hash: entry.hash)
        }
        return nil
    }
}

/// The first broken link of the chain.
public struct AuditBreak: Sendable, Equatable, CustomStringConvertible {
    public var seq: Int64
    public var requestId: String
    public var problem: String

    public init(seq: Int64, requestId: String, problem: String) {
        self.seq = seq
        self.requestId = requestId
        self.problem = problem
    }

    public var description: String { "audit entry \(seq) (request \(requestId)): \(problem)" }
}
