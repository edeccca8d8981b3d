import Foundation
import GRDB
import RelayCore

extension SQLiteStore {
    public func decide(_ target: RequestLookup, _ decision: NormalizedDecision, planner: ForwardPlanner, now: Date,
                       callback: IncomingCallback?) async throws -> DecisionOutcome {
        // SQLite has one writer, so decisions for one request are serialized by the write transaction.
        try await committer.write { db in
            guard let request = try Self.request(db, target) else { return .notFound }
            var decision = decision
            let endpoint = decision.actor == nil || callback != nil ? try Self.soleEndpoint(db, requestId: request.id) : nil
            if decision.actor == nil, let endpoint { decision.actor = "endpoint:\(endpoint)" }
            let outcome = try Self.apply(decision, to: request, planner: planner, now: now, db)
            if let callback, let record = CallbackRecord(callback, decision: decision, endpoint: endpoint, outcome: outcome, at: now) {
                try db.cachedExecute(sql: """
                    INSERT INTO callback_events (request_id, received_at, path, decision, outcome, endpoint, actor, state, excerpt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [request.id, now.timeIntervalSince1970, record.path, record.decision, record.outcome.rawValue,
                                     record.endpoint, record.actor, record.state.rawValue, record.excerpt])
            }
            return outcome
        }
    }

    /// The one endpoint a request was delivered to, if it went to exactly one: who answered its callback.
    static func soleEndpoint(_ db: Database, requestId: String) throws -> String? {
        let names = try String.fetchAll(db.cachedStatement(sql: """
            SELECT DISTINCT endpoint_name FROM messages WHERE request_id = ? AND purpose = 'delivery' LIMIT 2
            """), arguments: [requestId])
        return names.count == 1 ? names[0] : nil
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
                let expiry = NormalizedDecision.deadlineExpiry
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
            row = try Row.fetchOneCached(db, sql: "\(select) WHERE approval_request_id = ? ORDER BY state IN \(RequestState.openStatesSQL) DESC, created_at DESC LIMIT 1", arguments: [id])
        }
        return try row.map(SQLiteRows.request)
    }

    /// The one path every decision takes: transition table, then state + forwards in this transaction.
    static func apply(_ decision: NormalizedDecision, to request: RelayRequest, planner: ForwardPlanner, now: Date,
                      _ db: Database) throws -> DecisionOutcome {
        if RequestTransitions.arrivesPastDeadline(decision.decision, state: request.state, deadline: request.deadline, now: now),
           case .moved(let expired) = try apply(.deadlineExpiry, to: request, planner: planner, now: now, db) {
            return .refused(expired)
        }
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
