import Foundation
import GRDB
import RelayCore
import Synchronization

extension SQLiteStore {
    public func claimDue(now: Date, owner: String, limit: Int, lease: LeaseTerms) async throws -> [ClaimedMessage] {
        guard limit > 0 else { return [] }
        let circuit = self.circuit
        return try await committer.write { db in
            let nowSeconds = now.timeIntervalSince1970
            // Shuffled so that no endpoint is always served first when the global limit is short.
            let endpoints = try Row.fetchAllCached(db, sql: """
                SELECT \(SQLiteRows.endpointReadColumns) FROM endpoints WHERE enabled = 1
                """).map(SQLiteRows.endpoint).shuffled()
            var claimed: [ClaimedMessage] = []
            for endpoint in endpoints where claimed.count < limit {
                // The redundant IN term lets SQLite use the partial index messages_active: its
                // planner does not see that state = 'inflight' implies the index's WHERE, and would
                // scan the whole table on every claim.
                let inFlight = try Int.fetchOneCached(db, sql: """
                    SELECT COUNT(*) FROM messages
                    WHERE endpoint_id = ? AND state IN ('pending', 'inflight') AND state = 'inflight' AND due_at > ?
                    """, arguments: [endpoint.id, nowSeconds]) ?? 0
                var take = min(endpoint.concurrency - inFlight, limit - claimed.count)
                switch CircuitBreaker.state(nextProbeAt: endpoint.nextProbeAt, now: now) {
                case .closed: break
                case .open: continue
                case .probing:
                    // One probe at a time; the next may go a probe interval later unless this one succeeds.
                    guard inFlight == 0 else { continue }
                    take = min(take, 1)
                    try db.cachedExecute(sql: "UPDATE endpoints SET next_probe_at = ? WHERE id = ?",
                                   arguments: [nowSeconds + circuit.probeInterval, endpoint.id])
                }
                guard take > 0 else { continue }
                let leaseUntil = nowSeconds + lease.duration(for: endpoint)
                let rows = try Row.fetchAllCached(db, sql: """
                    UPDATE messages
                    SET state = 'inflight', lease_owner = ?, lease_token = lease_token + 1, due_at = ?, updated_at = ?,
                        url = ?
                    WHERE id IN (
                        SELECT id FROM messages
                        WHERE endpoint_id = ? AND state IN ('pending', 'inflight') AND due_at <= ? AND deadline > ?
                        ORDER BY due_at LIMIT ?
                    )
                    RETURNING \(SQLiteRows.messageColumns), lease_token, round_start
                    """, arguments: [owner, leaseUntil, nowSeconds, endpoint.url, endpoint.id, nowSeconds, nowSeconds, take])
                claimed += try rows.map { try Self.claimed($0, endpoint: endpoint) }
            }
            if claimed.count < limit {
                claimed += try Self.claimForwards(db, now: nowSeconds, owner: owner, limit: limit - claimed.count, lease: lease,
                                                  leaseUntil: nowSeconds + lease.duration(for: nil))
            }
            return claimed
        }
    }

    /// Forwards: the control plane's pool, then the callback URLs' pool, each URL within its own limit.
    private static func claimForwards(_ db: Database, now: Double, owner: String, limit: Int, lease: LeaseTerms,
                                      leaseUntil: Double) throws -> [ClaimedMessage] {
        // One pass over the forwards in flight: the control plane's, and each callback URL's.
        var busyControlPlane = 0
        var busyByURL: [String: Int] = [:]
        for row in try Row.fetchAllCached(db, sql: """
            SELECT COALESCE(sink, 'callback') = 'callback' AS is_callback, url, COUNT(*) AS busy FROM messages
            WHERE endpoint_id IS NULL AND state IN ('pending', 'inflight') AND state = 'inflight' AND due_at > ?
            GROUP BY 1, 2
            """, arguments: [now]) {
            if row["is_callback"] as Bool { busyByURL[row["url"], default: 0] += row["busy"] as Int } else { busyControlPlane += row["busy"] as Int }
        }
        var claimed = try claimControlPlaneForwards(db, now: now, owner: owner, take: min(limit, lease.forwardConcurrency - busyControlPlane),
                                                    leaseUntil: leaseUntil)
        // The earliest due callback forwards (through the index, never a scan of the backlog), taken in due
        // order as long as their URL has room and the pool does.
        var room = min(lease.forwardConcurrency - busyByURL.values.reduce(0, +), limit - claimed.count)
        guard room > 0 else { return claimed }
        var perURL = busyByURL
        var picked: [String] = []
        for row in try Row.fetchAllCached(db, sql: """
            SELECT id, url FROM messages
            WHERE endpoint_id IS NULL AND state IN ('pending', 'inflight') AND due_at <= ? AND deadline > ?
              AND COALESCE(sink, 'callback') = 'callback'
            ORDER BY due_at LIMIT 256
            """, arguments: [now, now]) where room > 0 {
            let url: String = row["url"]
            guard perURL[url, default: 0] < lease.callbackURLConcurrency else { continue }
            perURL[url, default: 0] += 1
            picked.append(row["id"])
            room -= 1
        }
        guard !picked.isEmpty else { return claimed }
        claimed += try Row.fetchAll(db, sql: """
            UPDATE messages
            SET state = 'inflight', lease_owner = ?, lease_token = lease_token + 1, due_at = ?, updated_at = ?
            WHERE id IN (\(databaseQuestionMarks(count: picked.count)))
            RETURNING \(SQLiteRows.messageColumns), lease_token, round_start
            """, arguments: StatementArguments([owner, leaseUntil, now] as [any DatabaseValueConvertible]) + StatementArguments(picked))
            .map { try Self.claimed($0, endpoint: nil) }
        return claimed
    }

    private static func claimControlPlaneForwards(_ db: Database, now: Double, owner: String, take: Int,
                                                  leaseUntil: Double) throws -> [ClaimedMessage] {
        guard take > 0 else { return [] }
        return try Row.fetchAllCached(db, sql: """
            UPDATE messages
            SET state = 'inflight', lease_owner = ?, lease_token = lease_token + 1, due_at = ?, updated_at = ?
            WHERE id IN (
                SELECT id FROM messages
                WHERE endpoint_id IS NULL AND state IN ('pending', 'inflight') AND due_at <= ? AND deadline > ?
                  AND COALESCE(sink, 'callback') <> 'callback'
                ORDER BY due_at LIMIT ?
            )
            RETURNING \(SQLiteRows.messageColumns), lease_token, round_start
            """, arguments: [owner, leaseUntil, now, now, now, take]).map { try claimed($0, endpoint: nil) }
    }

    /// A row a claim statement returned, as the claimed message it is.
    private static func claimed(_ row: Row, endpoint: Endpoint?) throws -> ClaimedMessage {
        let message = try SQLiteRows.message(row)
        let roundStart: Int = row["round_start"]
        return ClaimedMessage(message: message, leaseToken: row["lease_token"],
                              roundAttempt: message.attemptCount - roundStart + 1, endpoint: endpoint)
    }

    public func complete(_ completion: AttemptCompletion, planner: ForwardPlanner) async throws -> Bool {
        let circuit = self.circuit
        return try await committer.write { db in
            let attempt = completion.attempt
            let record = CompletedMessage(completion)
            let (state, dueAt, deadReason, now) = (record.state, record.dueAt, record.deadReason, record.now)
            // RETURNING hands back what the rest of the record needs, so nothing below reads the message again.
            guard let owner = try Row.fetchOneCached(db, sql: """
                UPDATE messages
                SET state = ?, attempt_count = attempt_count + 1, due_at = ?, lease_owner = NULL,
                    dead_reason = ?, dead_at = ?, last_error = ?, updated_at = ?
                WHERE id = ? AND lease_token = ? AND state = 'inflight'
                RETURNING request_id, endpoint_id
                """, arguments: [
                    state.rawValue, dueAt, deadReason?.rawValue, deadReason == nil ? nil : now, attempt.error, now,
                    completion.messageId, completion.leaseToken,
                ]) else { return false }
            let requestId: String = owner["request_id"]
            let endpointId: String? = owner["endpoint_id"]
            try db.cachedExecute(sql: """
                INSERT INTO attempts (message_id, number, started_at, duration_ms, status_code, error, response_excerpt, outcome)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    attempt.messageId, attempt.number, attempt.startedAt.timeIntervalSince1970, attempt.durationMs,
                    attempt.statusCode, attempt.error, attempt.responseExcerpt, attempt.outcome.rawValue,
                ])
            if let answer = completion.controlPlaneAnswer {
                try db.cachedExecute(sql: """
                    UPDATE requests SET control_plane_state = ?, flag = COALESCE(?, flag), updated_at = ? WHERE id = ?
                    """, arguments: [answer.state, answer.flag, now, requestId])
            }
            if let decision = completion.decision, let request = try Self.request(db, .id(requestId)) {
                _ = try Self.apply(decision, to: request, planner: planner, now: SQLiteRows.date(now), db)
            }
            if let failure = completion.requestFailure, let request = try Self.request(db, .id(requestId)),
               try Int.fetchOneCached(db, sql: """
                   SELECT COUNT(*) FROM messages
                   WHERE request_id = ? AND purpose = 'delivery' AND id <> ? AND state IN ('pending', 'inflight', 'delivered')
                   """, arguments: [requestId, completion.messageId]) == 0 {
                // No other delivery can still reach a human: the caller learns now, not at the deadline.
                _ = try Self.apply(failure, to: request, planner: planner, now: SQLiteRows.date(now), db)
            }
            if let endpointId, let endpoint = try Row.fetchOneCached(db, sql: """
                SELECT consecutive_failures, next_probe_at FROM endpoints WHERE id = ?
                """, arguments: [endpointId]) {
                if let changed = circuit.after(attemptSucceeded: attempt.outcome == .delivered,
                                               previousFailures: endpoint["consecutive_failures"],
                                               nextProbeAt: (endpoint["next_probe_at"] as Double?).map(SQLiteRows.date),
                                               now: SQLiteRows.date(now)) {
                    try db.cachedExecute(sql: "UPDATE endpoints SET consecutive_failures = ?, next_probe_at = ? WHERE id = ?",
                                   arguments: [changed.consecutiveFailures, changed.nextProbeAt?.timeIntervalSince1970, endpointId])
                }
            }
            if let reason = completion.disableEndpointReason, let endpointId {
                try db.cachedExecute(sql: """
                    UPDATE endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?
                    """, arguments: [reason, now, endpointId])
            }
            return true
        }
    }

    public func reclaimLeases(owner: String, now: Date, instanceTimeout: TimeInterval) async throws -> Int {
        // Only the process holding the serve lock dispatches, so after the first call there is nobody else's
        // lease to find: the later calls (the heartbeat) cost nothing.
        guard leftoversReclaimed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return 0 }
        return try await committer.write { db in
            try db.cachedExecute(sql: """
                UPDATE messages SET state = 'pending', due_at = ?, lease_owner = NULL, updated_at = ?
                WHERE state = 'inflight' AND lease_owner IS NOT ?
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, owner])
            return db.changesCount
        }
    }

    public func releaseLeases(owner: String, now: Date) async throws -> Int {
        try await committer.write { db in
            try db.cachedExecute(sql: """
                UPDATE messages SET state = 'pending', due_at = ?, lease_owner = NULL, updated_at = ?
                WHERE lease_owner = ? AND state = 'inflight'
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, owner])
            return db.changesCount
        }
    }

    public func deadLetterExpired(now: Date) async throws -> Int {
        try await committer.write { db in
            let seconds = now.timeIntervalSince1970
            try db.cachedExecute(sql: """
                UPDATE messages
                SET state = 'dead', dead_reason = 'deadline', dead_at = ?, lease_owner = NULL, updated_at = ?,
                    last_error = COALESCE(last_error, 'deadline passed before delivery')
                WHERE state IN ('pending', 'inflight') AND deadline <= ? AND (state = 'pending' OR due_at <= ?)
                """, arguments: [seconds, seconds, seconds, seconds])
            return db.changesCount
        }
    }

    public func nextDueAt() async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOneCached(db, sql: """
                SELECT MIN(m.due_at) FROM messages m LEFT JOIN endpoints e ON e.id = m.endpoint_id
                WHERE m.state IN ('pending', 'inflight') AND (m.endpoint_id IS NULL OR e.enabled = 1)
                """).map(SQLiteRows.date)
        }
    }
}
