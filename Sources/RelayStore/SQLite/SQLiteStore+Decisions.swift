import Foundation
import GRDB
import RelayCore

extension SQLiteStore {
    public func decide(_ target: RequestLookup, _ decision: NormalizedDecision, planner: ForwardPlanner, now: Date) async throws -> DecisionOutcome {
        // SQLite has one writer, so decisions for one request are serialized by the write transaction.
        try await committer.write { db in
            guard let request = try Self.request(db, target) else { return .notFound }
            return try Self.apply(decision, to: request, planner: planner, now: now, db)
        }
    }

    public func request(_ lookup: RequestLookup) async throws -> RelayRequest? {
        try await pool.read { db in try Self.request(db, lookup) }
    }

    public func expireDue(now: Date, planner: ForwardPlanner, limit: Int) async throws -> [RelayRequest] {
        try await committer.write { db in
            let due = try Row.fetchAllCached(db, sql: """
                SELECT \(SQLiteRows.requestColumns) FROM requests WHERE state = 'requested' AND deadline <= ?
                ORDER BY deadline LIMIT ?
                """, arguments: [now.timeIntervalSince1970, limit]).map(SQLiteRows.request)
            return try due.compactMap { request in
                let expiry = NormalizedDecision(decision: .expired, reason: "deadline passed with no decision", actor: "webhook-relay")
                if case .moved(let expired) = try Self.apply(expiry, to: request, planner: planner, now: now, db) { return expired }
                return nil
            }
        }
    }

    static func request(_ db: Database, _ target: RequestLookup) throws -> RelayRequest? {
        let select = "SELECT \(SQLiteRows.requestColumns) FROM requests"
        let row: Row?
        switch target {
        case .id(let id):
            row = try Row.fetchOneCached(db, sql: "\(select) WHERE id = ?", arguments: [id])
        case .callbackTokenHash(let hash):
            row = try Row.fetchOneCached(db, sql: "\(select) WHERE callback_token_hash = ?", arguments: [hash])
        case .correlationId(let id, let kind):
            row = try Row.fetchOneCached(db, sql: "\(select) WHERE correlation_id = ? AND (? IS NULL OR kind = ?)",
                                   arguments: [id, kind?.rawValue, kind?.rawValue])
        case .approvalRequestId(let id):
            row = try Row.fetchOneCached(db, sql: "\(select) WHERE approval_request_id = ? ORDER BY created_at DESC LIMIT 1", arguments: [id])
        }
        return try row.map(SQLiteRows.request)
    }

    /// The one path every decision takes: transition table, then state + forwards in this transaction.
    static func apply(_ decision: NormalizedDecision, to request: RelayRequest, planner: ForwardPlanner, now: Date,
                      _ db: Database) throws -> DecisionOutcome {
        switch RequestTransitions.apply(decision.decision, to: request.state) {
        case .duplicate:
            return .duplicate(request)
        case .refused:
            return .refused(request)
        case .moved(let state):
            let moved = request.moved(to: state, by: decision, at: now)
            try db.cachedExecute(sql: """
                UPDATE requests SET state = ?, decision_reason = ?, decision_actor = ?, decision_result = ?, decided_at = ?,
                    updated_at = ?
                WHERE id = ?
                """, arguments: [state.rawValue, decision.reason, decision.actor, decision.result?.encoded(),
                                 now.timeIntervalSince1970, now.timeIntervalSince1970, request.id])
            for message in planner.messages(for: moved, decision: decision, now: now) {
                try insert(message, db)
            }
            if state == .expired {
                try db.cachedExecute(sql: """
                    UPDATE messages
                    SET state = 'dead', dead_reason = 'deadline', dead_at = ?, lease_owner = NULL, updated_at = ?,
                        last_error = COALESCE(last_error, 'the request expired before delivery')
                    WHERE request_id = ? AND purpose = 'delivery' AND state IN ('pending', 'inflight')
                    """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, request.id])
            }
            return .moved(moved)
        }
    }
}
