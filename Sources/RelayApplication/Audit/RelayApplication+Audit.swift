import Foundation
import RelayCore
import RelayStore

/// What a check of the audit chain found.
public struct AuditVerification: Sendable, Equatable {
    /// Entries checked.
    public var checked: Int
    /// Where the chain's head says it stands.
    public var head: AuditHead
    /// The first broken link, if any.
    public var broken: AuditBreak?

    public var isIntact: Bool { broken == nil }
}

extension RelayApplication {
    /// Entries of the audit trail in order, page by page (`after` is the last `seq` of the previous page).
    public func auditEntries(since: Date?, until: Date?, after: Int64, limit: Int) async throws -> [AuditEntry] {
        try await store.auditEntries(AuditQuery(afterSeq: after, since: since, until: until, limit: limit))
    }

    /// Checks the whole chain (SPEC §12): every entry's hash against its content and its predecessor, the positions
    /// without gaps, and the head against the last entry (entries cut off the end). Reads in pages: the trail may be long.
    public func verifyAudit(pageSize: Int = 1000) async throws -> AuditVerification {
        let head = try await store.auditHead()
        var previous = AuditHead.genesis
        var checked = 0
        while true {
            let page = try await store.auditEntries(AuditQuery(afterSeq: previous.seq, limit: pageSize))
            if let broken = AuditChain.firstBreak(in: page, after: previous) {
                return AuditVerification(checked: checked, head: head, broken: broken)
            }
            checked += page.count
            guard let last = page.last else { break }
            previous = AuditHead(seq: last.seq, hash: last.hash)
            if page.count < pageSize { break }
        }
        if previous != head {
            let broken = previous.seq < head.seq
                ? AuditBreak(seq: previous.seq + 1, requestId: "?",
                             problem: "the chain's head records entry \(head.seq), but the trail ends at entry \(previous.seq): entries at its end were removed")
                : AuditBreak(seq: head.seq, requestId: "?",
                             problem: "the chain's head (entry \(head.seq), hash \(head.hash.prefix(12))…) does not match the trail's last entry (\(previous.seq)): the head was changed")
            return AuditVerification(checked: checked, head: head, broken: broken)
        }
        return AuditVerification(checked: checked, head: head, broken: nil)
    }
}
