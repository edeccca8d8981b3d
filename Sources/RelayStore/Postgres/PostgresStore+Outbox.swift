import Foundation
import PostgresNIO
import RelayCore

extension PostgresStore {
    public func claimDue(now: Date, owner: String, limit: Int, lease: LeaseTerms) async throws -> [ClaimedMessage] {
        guard limit > 0 else { return [] }
        let seconds = now.timeIntervalSince1970
        return try await transaction { connection in
            // The endpoints this instance claims for stay locked until it commits, and SKIP LOCKED passes
            // over those another instance is claiming for: the in-flight counts below hold until commit,
            // so each endpoint's concurrency limit holds across instances. NO KEY UPDATE, because a submit
            // inserting a message holds KEY SHARE on its endpoint (the foreign key) until it commits:
            // FOR UPDATE would skip every endpoint that is being submitted to, and starve it under load.
            let endpoints = try await connection.query("""
                SELECT \(unescaped: StoreColumns.endpointRead) FROM endpoints WHERE enabled ORDER BY random()
                FOR NO KEY UPDATE SKIP LOCKED
                """, logger: self.logger).collect().map(PostgresRows.endpoint)
            var inFlight: [String: Int] = [:]
            if !endpoints.isEmpty {
                for row in try await connection.query("""
                    SELECT endpoint_id, count(*) FROM messages
                    WHERE endpoint_id = ANY(\(endpoints.map(\.id))) AND state = 'inflight' AND due_at > \(seconds)
                    GROUP BY endpoint_id
                    """, logger: self.logger).collect() {
                    let (id, count) = try row.decode((String, Int).self)
                    inFlight[id] = count
                }
            }
            var claimed: [ClaimedMessage] = []
            for endpoint in endpoints where claimed.count < limit {
                let busy = inFlight[endpoint.id, default: 0]
                var take = min(endpoint.concurrency - busy, limit - claimed.count)
                switch CircuitBreaker.state(nextProbeAt: endpoint.nextProbeAt, now: now) {
                case .closed: break
                case .open: continue
                case .probing:
                    guard busy == 0 else { continue }
                    take = min(take, 1)
                    try await connection.query("""
                        UPDATE endpoints SET next_probe_at = \(seconds + self.circuit.probeInterval) WHERE id = \(endpoint.id)
                        """, logger: self.logger)
                }
                guard take > 0 else { continue }
                claimed += try await self.claim(
                    connection, forEndpoint: endpoint.id, url: endpoint.url, owner: owner, now: seconds,
                    leaseUntil: seconds + lease.duration(for: endpoint), take: take, endpoint: endpoint
                )
            }
            if claimed.count < limit {
                // Forwards have no endpoint row to lock: one instance at a time claims them.
                let locked = try await connection.query("""
                    SELECT pg_try_advisory_xact_lock(\(PostgresSchema.forwardClaimLockKey))
                    """, logger: self.logger).collect().first?.decode(Bool.self) ?? false
                if locked {
                    claimed += try await self.claimForwards(connection, now: seconds, owner: owner, limit: limit - claimed.count,
                                                            lease: lease)
                }
            }
            return claimed
        }
    }

    /// Forwards: the control plane's pool, then the callback URLs' pool, each URL within its own limit.
    private func claimForwards(_ connection: PostgresConnection, now: Double, owner: String, limit: Int,
                               lease: LeaseTerms) async throws -> [ClaimedMessage] {
        let leaseUntil = now + lease.duration(for: nil)
        var busyControlPlane = 0
        var busyByURL: [String: Int] = [:]
        for row in try await connection.query("""
            SELECT COALESCE(sink, 'callback') = 'callback', url, count(*) FROM messages
            WHERE endpoint_id IS NULL AND state = 'inflight' AND due_at > \(now)
            GROUP BY 1, 2
            """, logger: logger).collect() {
            let (isCallback, url, busy) = try row.decode((Bool, String, Int).self)
            if isCallback { busyByURL[url, default: 0] += busy } else { busyControlPlane += busy }
        }
        var claimed = try await claim(connection, forEndpoint: nil, url: nil, owner: owner, now: now, leaseUntil: leaseUntil,
                                      take: min(limit, lease.forwardConcurrency - busyControlPlane), endpoint: nil,
                                      controlPlaneOnly: true)
        // The earliest due callback forwards (through the index, never a scan of the backlog), taken in due
        // order as long as their URL has room and the pool does.
        var room = min(lease.forwardConcurrency - busyByURL.values.reduce(0, +), limit - claimed.count)
        guard room > 0 else { return claimed }
        var perURL = busyByURL
        var picked: [String] = []
        for row in try await connection.query("""
            SELECT id, url FROM messages
            WHERE endpoint_id IS NULL AND state IN ('pending', 'inflight') AND due_at <= \(now) AND deadline > \(now)
              AND COALESCE(sink, 'callback') = 'callback'
            ORDER BY due_at LIMIT 256
            FOR UPDATE SKIP LOCKED
            """, logger: logger).collect() where room > 0 {
            let (id, url) = try row.decode((String, String).self)
            guard perURL[url, default: 0] < lease.callbackURLConcurrency else { continue }
            perURL[url, default: 0] += 1
            picked.append(id)
            room -= 1
        }
        guard !picked.isEmpty else { return claimed }
        let rows = try await connection.query("""
            UPDATE messages m
            SET state = 'inflight', lease_owner = \(owner), lease_token = m.lease_token + 1, due_at = \(leaseUntil), updated_at = \(now)
            WHERE m.id = ANY(\(picked))
            RETURNING \(unescaped: StoreColumns.qualified(StoreColumns.message, "m")), m.lease_token, m.round_start
            """, logger: logger).collect()
        claimed += try rows.map { row in
            let access = row.makeRandomAccess()
            let message = try PostgresRows.message(access)
            let roundStart = try access["round_start"].decode(Int.self)
            return ClaimedMessage(message: message, leaseToken: try access["lease_token"].decode(Int64.self),
                                  roundAttempt: message.attemptCount - roundStart + 1, endpoint: nil)
        }
        return claimed
    }

    /// One claim statement: the due messages picked and locked (SKIP LOCKED), then leased, in one round trip.
    private func claim(_ connection: PostgresConnection, forEndpoint endpointId: String?, url: String?, owner: String,
                       now: Double, leaseUntil: Double, take: Int, endpoint: Endpoint?,
                       controlPlaneOnly: Bool = false) async throws -> [ClaimedMessage] {
        guard take > 0 else { return [] }
        let rows = try await connection.query("""
            WITH picked AS MATERIALIZED (
                SELECT id FROM messages
                WHERE endpoint_id IS NOT DISTINCT FROM \(endpointId) AND state IN ('pending', 'inflight')
                  AND due_at <= \(now) AND deadline > \(now)
                  AND (NOT \(controlPlaneOnly) OR COALESCE(sink, 'callback') <> 'callback')
                ORDER BY due_at LIMIT \(take)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE messages m
            SET state = 'inflight', lease_owner = \(owner), lease_token = m.lease_token + 1, due_at = \(leaseUntil),
                updated_at = \(now), url = COALESCE(\(url), m.url)
            FROM picked WHERE m.id = picked.id
            RETURNING \(unescaped: StoreColumns.qualified(StoreColumns.message, "m")), m.lease_token, m.round_start
            """, logger: logger).collect()
        return try rows.map { row in
            let access = row.makeRandomAccess()
            let message = try PostgresRows.message(access)
            let roundStart = try access["round_start"].decode(Int.self)
            return ClaimedMessage(message: message, leaseToken: try access["lease_token"].decode(Int64.self),
                                  roundAttempt: message.attemptCount - roundStart + 1, endpoint: endpoint)
        }
    }

    public func complete(_ completion: AttemptCompletion, planner: ForwardPlanner) async throws -> Bool {
        try await transaction { connection in
            let attempt = completion.attempt
            let record = CompletedMessage(completion)
            let (state, dueAt, deadReason, now) = (record.state, record.dueAt, record.deadReason, record.now)
            // The fencing check: only the holder of the current lease token records a result.
            guard let owner = try await connection.query("""
                UPDATE messages
                SET state = \(state.rawValue), attempt_count = attempt_count + 1, due_at = \(dueAt), lease_owner = NULL,
                    dead_reason = \(deadReason?.rawValue), dead_at = \(deadReason == nil ? nil : now), last_error = \(attempt.error),
                    updated_at = \(now)
                WHERE id = \(completion.messageId) AND lease_token = \(completion.leaseToken) AND state = 'inflight'
                RETURNING request_id, endpoint_id
                """, logger: self.logger).collect().first else { return false }
            let (requestId, endpointId) = try owner.decode((String, String?).self)
            try await connection.query("""
                INSERT INTO attempts (message_id, number, started_at, duration_ms, status_code, error, response_excerpt, outcome)
                VALUES (\(attempt.messageId), \(attempt.number), \(attempt.startedAt.timeIntervalSince1970), \(attempt.durationMs),
                    \(attempt.statusCode), \(attempt.error), \(attempt.responseExcerpt), \(attempt.outcome.rawValue))
                """, logger: self.logger)
            if let answer = completion.controlPlaneAnswer {
                try await connection.query("""
                    UPDATE requests SET control_plane_state = \(answer.state), flag = COALESCE(\(answer.flag), flag), updated_at = \(now)
                    WHERE id = \(requestId)
                    """, logger: self.logger)
            }
            if let decision = completion.decision, let request = try await self.request(connection, .id(requestId), lock: true) {
                _ = try await self.apply(decision, to: request, planner: planner, now: PostgresRows.date(now), connection)
            }
            if let failure = completion.requestFailure, let request = try await self.request(connection, .id(requestId), lock: true),
               try await connection.query("""
                   SELECT count(*) FROM messages
                   WHERE request_id = \(requestId) AND purpose = 'delivery' AND id <> \(completion.messageId)
                     AND state IN ('pending', 'inflight', 'delivered')
                   """, logger: self.logger).collect().first?.decode(Int.self) == 0 {
                // No other delivery can still reach a human: the caller learns now, not at the deadline.
                _ = try await self.apply(failure, to: request, planner: planner, now: PostgresRows.date(now), connection)
            }
            if let endpointId, let row = try await connection.query("""
                SELECT consecutive_failures, next_probe_at FROM endpoints WHERE id = \(endpointId)
                """, logger: self.logger).collect().first {
                let (previousFailures, nextProbeAt) = try row.decode((Int, Double?).self)
                if let changed = self.circuit.after(attemptSucceeded: attempt.outcome == .delivered, previousFailures: previousFailures,
                                                    nextProbeAt: nextProbeAt.map(PostgresRows.date), now: PostgresRows.date(now)) {
                    try await connection.query("""
                        UPDATE endpoints SET consecutive_failures = \(changed.consecutiveFailures),
                            next_probe_at = \(changed.nextProbeAt?.timeIntervalSince1970)
                        WHERE id = \(endpointId)
                        """, logger: self.logger)
                }
            }
            if let reason = completion.disableEndpointReason, let endpointId {
                try await connection.query("""
                    UPDATE endpoints SET enabled = false, disabled_reason = \(reason), updated_at = \(now) WHERE id = \(endpointId)
                    """, logger: self.logger)
            }
            return true
        }
    }

    public func reclaimLeases(owner: String, now: Date, instanceTimeout: TimeInterval) async throws -> Int {
        let seconds = now.timeIntervalSince1970
        return try await transaction { connection in
            try await connection.query("""
                INSERT INTO instances (id, started_at, heartbeat_at) VALUES (\(owner), \(seconds), \(seconds))
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at
                """, logger: self.logger)
            let reclaimed = try await connection.query("""
                WITH dead AS (
                    DELETE FROM instances WHERE heartbeat_at < \(seconds - instanceTimeout) AND id <> \(owner) RETURNING id
                )
                UPDATE messages SET state = 'pending', due_at = \(seconds), lease_owner = NULL, updated_at = \(seconds)
                WHERE state = 'inflight' AND lease_owner IN (SELECT id FROM dead)
                RETURNING 1
                """, logger: self.logger).collect().count
            if reclaimed > 0 { try await self.notifyDue(connection) }
            return reclaimed
        }
    }

    public func releaseLeases(owner: String, now: Date) async throws -> Int {
        try await transaction { connection in
            try await connection.query("DELETE FROM instances WHERE id = \(owner)", logger: self.logger)
            let released = try await connection.query("""
                UPDATE messages SET state = 'pending', due_at = \(now.timeIntervalSince1970), lease_owner = NULL,
                    updated_at = \(now.timeIntervalSince1970)
                WHERE lease_owner = \(owner) AND state = 'inflight'
                RETURNING 1
                """, logger: self.logger).collect().count
            if released > 0 { try await self.notifyDue(connection) }
            return released
        }
    }

    public func deadLetterExpired(now: Date) async throws -> Int {
        let seconds = now.timeIntervalSince1970
        return try await transaction { connection in
            try await connection.query("""
                UPDATE messages
                SET state = 'dead', dead_reason = 'deadline', dead_at = \(seconds), lease_owner = NULL, updated_at = \(seconds),
                    last_error = COALESCE(last_error, 'deadline passed before delivery')
                WHERE state IN ('pending', 'inflight') AND deadline <= \(seconds) AND (state = 'pending' OR due_at <= \(seconds))
                RETURNING 1
                """, logger: self.logger).collect().count
        }
    }

    public func nextDueAt() async throws -> Date? {
        try await read { connection in
            try await connection.query("""
                SELECT MIN(m.due_at) FROM messages m LEFT JOIN endpoints e ON e.id = m.endpoint_id
                WHERE m.state IN ('pending', 'inflight') AND (m.endpoint_id IS NULL OR e.enabled)
                """, logger: self.logger).collect().first?.decode(Double?.self).map(PostgresRows.date)
        }
    }
}
