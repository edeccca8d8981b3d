import Foundation
import PostgresNIO
import RelayCore

extension PostgresStore {
    public func decide(_ target: RequestLookup, _ decision: NormalizedDecision, planner: ForwardPlanner, now: Date,
                       callback: IncomingCallback?) async throws -> DecisionOutcome {
        // The request row is locked for the transaction: decisions for one request are serialized by the
        // database, whichever instance received them.
        try await transaction { connection in
            guard let request = try await self.request(connection, target, lock: true) else { return .notFound }
            var decision = decision
            let endpoint = decision.actor == nil || callback != nil ? try await self.soleEndpoint(connection, requestId: request.id) : nil
            if decision.actor == nil, let endpoint { decision.actor = "endpoint:\(endpoint)" }
            let outcome = try await self.apply(decision, to: request, planner: planner, now: now, connection)
            if let callback, let record = CallbackRecord(callback, decision: decision, endpoint: endpoint, outcome: outcome, at: now) {
                try await connection.query("""
                    INSERT INTO callback_events (request_id, received_at, path, decision, outcome, endpoint, actor, state, excerpt)
                    VALUES (\(request.id), \(now.timeIntervalSince1970), \(record.path), \(record.decision), \(record.outcome.rawValue),
                        \(record.endpoint), \(record.actor), \(record.state.rawValue), \(record.excerpt))
                    """, logger: self.logger)
            }
            return outcome
        }
    }

    /// The one endpoint a request was delivered to, if it went to exactly one: who answered its callback.
    func soleEndpoint(_ connection: PostgresConnection, requestId: String) async throws -> String? {
        let names = try await connection.query("""
            SELECT DISTINCT endpoint_name FROM messages WHERE request_id = \(requestId) AND purpose = 'delivery' LIMIT 2
            """, logger: logger).collect().map { try $0.decode(String.self) }
        return names.count == 1 ? names[0] : nil
    }

    public func request(_ lookup: RequestLookup) async throws -> RelayRequest? {
        try await read { connection in try await self.request(connection, lookup, lock: false) }
    }

    public func expireDue(now: Date, planner: ForwardPlanner, limit: Int) async throws -> [RelayRequest] {
        try await transaction { connection in
            // SKIP LOCKED: each instance's sweep takes different requests, and none waits on a callback in progress.
            let due = try await connection.query("""
                SELECT \(unescaped: StoreColumns.request) FROM requests
                WHERE state = 'requested' AND deadline <= \(now.timeIntervalSince1970)
                ORDER BY deadline LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger: self.logger).collect().map(PostgresRows.request)
            var expired: [RelayRequest] = []
            for request in due {
                let expiry = NormalizedDecision.deadlineExpiry
                if case .moved(let moved) = try await self.apply(expiry, to: request, planner: planner, now: now, connection) {
                    expired.append(moved)
                }
            }
            return expired
        }
    }

    func request(_ connection: PostgresConnection, _ target: RequestLookup, lock: Bool) async throws -> RelayRequest? {
        let suffix = lock ? " FOR UPDATE" : ""
        let query: PostgresQuery
        switch target {
        case .id(let id):
            query = "SELECT \(unescaped: StoreColumns.request) FROM requests WHERE id = \(id)\(unescaped: suffix)"
        case .callbackTokenHash(let hash):
            query = "SELECT \(unescaped: StoreColumns.request) FROM requests WHERE callback_token_hash = \(hash)\(unescaped: suffix)"
        case .correlationId(let id, let kind):
            query = """
                SELECT \(unescaped: StoreColumns.request) FROM requests
                WHERE correlation_id = \(id) AND (\(kind?.rawValue)::text IS NULL OR kind = \(kind?.rawValue))\(unescaped: suffix)
                """
        case .approvalRequestId(let id):
            query = """
                SELECT \(unescaped: StoreColumns.request) FROM requests WHERE approval_request_id = \(id)
                ORDER BY state IN \(unescaped: RequestState.openStatesSQL) DESC, created_at DESC LIMIT 1\(unescaped: suffix)
                """
        }
        return try await connection.query(query, logger: logger).collect().first.map(PostgresRows.request)
    }

    /// The one path every decision takes: transition table, then state + forwards in this transaction.
    func apply(_ decision: NormalizedDecision, to request: RelayRequest, planner: ForwardPlanner, now: Date,
               _ connection: PostgresConnection) async throws -> DecisionOutcome {
        if RequestTransitions.arrivesPastDeadline(decision.decision, state: request.state, deadline: request.deadline, now: now),
           case .moved(let expired) = try await apply(.deadlineExpiry, to: request, planner: planner, now: now, connection) {
            return .refused(expired)
        }
        switch RequestTransitions.apply(decision.decision, to: request.state) {
        case .duplicate:
            return .duplicate(request)
        case .refused:
            return .refused(request)
        case .moved(let state):
            let moved = request.moved(to: state, by: decision, at: now)
            let seconds = now.timeIntervalSince1970
            try await connection.query("""
                UPDATE requests SET state = \(state.rawValue), decision_reason = \(decision.reason), decision_actor = \(decision.actor),
                    decision_result = \(decision.result?.encoded()), decided_at = \(seconds), updated_at = \(seconds)
                WHERE id = \(request.id)
                """, logger: logger)
            let forwards = planner.messages(for: moved, decision: decision, now: now)
            for message in forwards { try await insert(message, connection) }
            if state == .expired {
                try await connection.query("""
                    UPDATE messages
                    SET state = 'dead', dead_reason = 'deadline', dead_at = \(seconds), lease_owner = NULL, updated_at = \(seconds),
                        last_error = COALESCE(last_error, 'the request expired before delivery')
                    WHERE request_id = \(request.id) AND purpose = 'delivery' AND state IN ('pending', 'inflight')
                    """, logger: logger)
            }
            if !forwards.isEmpty { try await notifyDue(connection) }
            return .moved(moved)
        }
    }
}
