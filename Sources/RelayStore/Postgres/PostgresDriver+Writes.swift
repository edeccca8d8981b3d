import Foundation
import PostgresNIO
import RelayCore

extension PostgresDriver {
    /// Executes one of the engine's writes in PostgreSQL's dialect.
    func execute(_ write: StoreWrite, _ connection: PostgresConnection) async throws -> StoreValue {
        switch write {
        case .insertEndpoint(let endpoint):
            try await run("""
                INSERT INTO endpoints (\(unescaped: StoreColumns.endpoint)) VALUES (\(endpoint.id), \(endpoint.name),
                    \(endpoint.role.rawValue), \(endpoint.url), \(try JSONCoding.encode(endpoint.secrets)),
                    \(try JSONCoding.encode(endpoint.settings)), \(endpoint.enabled), \(endpoint.disabledReason),
                    \(endpoint.createdAt.timeIntervalSince1970), \(endpoint.updatedAt.timeIntervalSince1970), \(endpoint.declaredIn))
                """, connection)
        case .updateEndpoint(let endpoint):
            return .count(try await rows("""
                UPDATE endpoints SET name = \(endpoint.name), role = \(endpoint.role.rawValue), url = \(endpoint.url),
                    secrets = \(try JSONCoding.encode(endpoint.secrets)), settings = \(try JSONCoding.encode(endpoint.settings)),
                    enabled = \(endpoint.enabled), disabled_reason = \(endpoint.disabledReason),
                    created_at = \(endpoint.createdAt.timeIntervalSince1970), updated_at = \(endpoint.updatedAt.timeIntervalSince1970),
                    declared_in = \(endpoint.declaredIn)
                WHERE id = \(endpoint.id)
                RETURNING 1
                """, connection).count)
        case .deleteEndpoint(let id):
            try await run("DELETE FROM endpoints WHERE id = \(id)", connection)
        case .setNextProbe(let endpointId, let at):
            try await run("UPDATE endpoints SET next_probe_at = \(at.timeIntervalSince1970) WHERE id = \(endpointId)", connection)
        case .setCircuit(let endpointId, let failures, let nextProbeAt):
            try await run("""
                UPDATE endpoints SET consecutive_failures = \(failures), next_probe_at = \(nextProbeAt?.timeIntervalSince1970)
                WHERE id = \(endpointId)
                """, connection)
        case .disableEndpoint(let id, let reason, let at):
            try await run("""
                UPDATE endpoints SET enabled = false, disabled_reason = \(reason), updated_at = \(at.timeIntervalSince1970) WHERE id = \(id)
                """, connection)

        case .insertRequest(let request, let nextEscalationAt):
            try await run("""
                INSERT INTO requests (\(unescaped: StoreColumns.request), next_escalation_at) VALUES (\(request.id), \(request.kind.rawValue),
                    \(request.correlationId), \(request.approvalRequestId), \(request.tool), \(request.state.rawValue), \(request.payload),
                    \(request.callbackURL), \(request.deadline.timeIntervalSince1970), \(request.decisionReason),
                    \(request.decidedAt?.timeIntervalSince1970), \(request.createdAt.timeIntervalSince1970),
                    \(request.updatedAt.timeIntervalSince1970), \(request.decisionActor), \(request.decisionResult?.encoded()),
                    \(request.controlPlaneState), \(request.flag), \(try StoreColumns.lifecycle(request.lifecycle)),
                    \(request.controlPlaneRef), \(request.trace?.traceparent), \(request.trace?.tracestate),
                    \(nextEscalationAt?.timeIntervalSince1970))
                """, connection)
        case .insertMessage(let message):
            try await run("""
                INSERT INTO messages (\(unescaped: StoreColumns.message)) VALUES (\(message.id), \(message.requestId), \(message.endpointId),
                    \(message.endpointName), \(message.purpose.rawValue), \(message.url), \(message.body), \(message.state.rawValue),
                    \(message.attemptCount), \(message.dueAt.timeIntervalSince1970), \(message.deadline.timeIntervalSince1970),
                    \(message.deadReason?.rawValue), \(message.lastError), \(message.createdAt.timeIntervalSince1970),
                    \(message.updatedAt.timeIntervalSince1970), \(message.sink?.rawValue), \(message.callbackTokenHash),
                    \(message.trace?.traceparent), \(message.trace?.tracestate))
                """, connection)
        case .insertIdempotency(let record, let requestId, let at):
            try await run("""
                INSERT INTO idempotency_keys (key, body_hash, request_id, response_status, response_body, created_at)
                VALUES (\(record.key), \(record.bodyHash), \(requestId), \(record.responseStatus), \(record.responseBody), \(at.timeIntervalSince1970))
                """, connection)
        case .recordDecision(let requestId, let state, let decision, let at):
            let seconds = at.timeIntervalSince1970
            try await run("""
                UPDATE requests SET state = \(state.rawValue), decision_reason = \(decision.reason), decision_actor = \(decision.actor),
                    decision_result = \(decision.result?.encoded()), decided_at = \(seconds), updated_at = \(seconds)
                WHERE id = \(requestId)
                """, connection)
        case .expireDeliveries(let requestId, let at):
            let seconds = at.timeIntervalSince1970
            return .deadLettered(try await rows("""
                UPDATE messages
                SET state = 'dead', dead_reason = 'deadline', dead_at = \(seconds), lease_owner = NULL, updated_at = \(seconds),
                    last_error = COALESCE(last_error, 'the request expired before delivery')
                WHERE request_id = \(requestId) AND purpose = 'delivery' AND state IN ('pending', 'inflight')
                RETURNING \(unescaped: StoreColumns.deadLetterNote)
                """, connection).map(PostgresRows.deadLetterNote))
        case .insertCallbackEvent(let requestId, let record):
            try await run("""
                INSERT INTO callback_events (request_id, \(unescaped: StoreColumns.callbackEvent))
                VALUES (\(requestId), \(record.receivedAt.timeIntervalSince1970), \(record.path), \(record.decision), \(record.outcome.rawValue),
                    \(record.endpoint), \(record.actor), \(record.state.rawValue), \(record.excerpt))
                """, connection)
        case .recordControlPlaneAnswer(let requestId, let answer, let at):
            try await run("""
                UPDATE requests SET control_plane_state = \(answer.state), flag = COALESCE(\(answer.flag), flag),
                    updated_at = \(at.timeIntervalSince1970)
                WHERE id = \(requestId)
                """, connection)
        case .supersedeDeliveries(let requestId, let at):
            return .count(try await rows("""
                UPDATE messages SET state = 'superseded', lease_owner = NULL, updated_at = \(at.timeIntervalSince1970)
                WHERE request_id = \(requestId) AND purpose = 'delivery' AND state = 'pending'
                RETURNING 1
                """, connection).count)
        case .insertVote(let requestId, let vote):
            try await run("""
                INSERT INTO votes (request_id, \(unescaped: StoreColumns.vote)) VALUES (\(requestId), \(vote.endpoint), \(vote.decision.rawValue),
                    \(vote.reason), \(vote.actor), \(vote.path.rawValue), \(vote.castAt.timeIntervalSince1970))
                """, connection)
        case .recordEscalation(let requestId, let lifecycle, let nextAt, let at):
            try await run("""
                UPDATE requests SET lifecycle = \(try StoreColumns.lifecycle(lifecycle)), next_escalation_at = \(nextAt?.timeIntervalSince1970),
                    updated_at = \(at.timeIntervalSince1970)
                WHERE id = \(requestId)
                """, connection)
        case .appendAudit(let entries) where entries.count == 1:
            // A decision's one record and the head it becomes, in one round trip: the head row is locked
            // until commit, so every statement after its read holds back the next decision (issue 13).
            let entry = entries[0]
            let record = entry.record
            try await run("""
                WITH appended AS (
                    INSERT INTO audit_log (\(unescaped: StoreColumns.audit)) VALUES (\(entry.seq), \(record.recordedAtMs), \(record.kind),
                        \(record.requestId), \(record.correlationId), \(record.path), \(record.endpoint), \(record.actor), \(record.decision),
                        \(record.reason), \(record.bodySHA256), \(entry.previousHash), \(entry.hash))
                    RETURNING 1)
                UPDATE audit_head SET seq = \(entry.seq), hash = \(entry.hash) WHERE id = 1
                """, connection)
        case .appendAudit(let entries):
            for entry in entries {
                let record = entry.record
                try await run("""
                    INSERT INTO audit_log (\(unescaped: StoreColumns.audit)) VALUES (\(entry.seq), \(record.recordedAtMs), \(record.kind),
                        \(record.requestId), \(record.correlationId), \(record.path), \(record.endpoint), \(record.actor), \(record.decision),
                        \(record.reason), \(record.bodySHA256), \(entry.previousHash), \(entry.hash))
                    """, connection)
            }
            if let last = entries.last {
                try await run("UPDATE audit_head SET seq = \(last.seq), hash = \(last.hash) WHERE id = 1", connection)
            }
        case .notifyDecided, .notifyDue:
            try await notify([write], connection)

        case .claimDeliveries(let endpoint, let owner, let now, let leaseUntil, let take):
            return .claimed(try await claim(connection, endpointId: endpoint.id, url: endpoint.url, owner: owner, now: now,
                                            leaseUntil: leaseUntil, take: take, endpoint: endpoint))
        case .claimControlPlaneForwards(let owner, let now, let leaseUntil, let take):
            return .claimed(try await claim(connection, endpointId: nil, url: nil, owner: owner, now: now, leaseUntil: leaseUntil,
                                            take: take, endpoint: nil, controlPlaneOnly: true))
        case .claimMessages(let ids, let owner, let now, let leaseUntil):
            return .claimed(try await rows("""
                UPDATE messages m
                SET state = 'inflight', lease_owner = \(owner), lease_token = m.lease_token + 1, due_at = \(leaseUntil.timeIntervalSince1970),
                    updated_at = \(now.timeIntervalSince1970)
                WHERE m.id = ANY(\(ids))
                RETURNING \(unescaped: StoreColumns.qualified(StoreColumns.message, "m")), m.lease_token, m.round_start
                """, connection).map { try Self.claimed($0, endpoint: nil) })
        case .completeMessage(let id, let leaseToken, let record, let error):
            return .fenced(try await rows("""
                UPDATE messages
                SET state = \(record.state.rawValue), attempt_count = attempt_count + 1, due_at = \(record.dueAt), lease_owner = NULL,
                    dead_reason = \(record.deadReason?.rawValue), dead_at = \(record.deadAt),
                    last_error = \(error), updated_at = \(record.now)
                WHERE id = \(id) AND lease_token = \(leaseToken) AND state = 'inflight'
                RETURNING request_id, endpoint_id, endpoint_name, purpose
                """, connection).first.map { row in
                let (requestId, endpointId, endpointName, purpose) = try row.decode((String, String?, String, String).self)
                return FencedMessage(requestId: requestId, endpointId: endpointId, endpointName: endpointName,
                                     purpose: try PostgresRows.decodeEnum(purpose))
            })
        case .insertAttempt(let attempt):
            try await run("""
                INSERT INTO attempts (message_id, number, started_at, duration_ms, status_code, error, response_excerpt, outcome)
                VALUES (\(attempt.messageId), \(attempt.number), \(attempt.startedAt.timeIntervalSince1970), \(attempt.durationMs),
                    \(attempt.statusCode), \(attempt.error), \(attempt.responseExcerpt), \(attempt.outcome.rawValue))
                """, connection)
        case .deadLetterPastDeadline(let now):
            let seconds = now.timeIntervalSince1970
            return .deadLettered(try await rows("""
                UPDATE messages
                SET state = 'dead', dead_reason = 'deadline', dead_at = \(seconds), lease_owner = NULL, updated_at = \(seconds),
                    last_error = COALESCE(last_error, 'deadline passed before delivery')
                WHERE state IN ('pending', 'inflight') AND deadline <= \(seconds) AND (state = 'pending' OR due_at <= \(seconds))
                RETURNING \(unescaped: StoreColumns.deadLetterNote)
                """, connection).map(PostgresRows.deadLetterNote))

        case .heartbeat(let owner, let now):
            let seconds = now.timeIntervalSince1970
            try await run("""
                INSERT INTO instances (id, started_at, heartbeat_at) VALUES (\(owner), \(seconds), \(seconds))
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at
                """, connection)
        case .reclaimFromStaleInstances(let owner, let now, let staleBefore):
            let seconds = now.timeIntervalSince1970
            return .count(try await rows("""
                WITH dead AS (
                    DELETE FROM instances WHERE heartbeat_at < \(staleBefore.timeIntervalSince1970) AND id <> \(owner) RETURNING id
                )
                UPDATE messages SET state = 'pending', due_at = \(seconds), lease_owner = NULL, updated_at = \(seconds)
                WHERE state = 'inflight' AND lease_owner IN (SELECT id FROM dead)
                RETURNING 1
                """, connection).count)
        case .reclaimAllBut(let owner, let now):
            let seconds = now.timeIntervalSince1970
            try await run("DELETE FROM instances WHERE id <> \(owner)", connection)
            return .count(try await rows("""
                UPDATE messages SET state = 'pending', due_at = \(seconds), lease_owner = NULL, updated_at = \(seconds)
                WHERE state = 'inflight' AND lease_owner IS DISTINCT FROM \(owner)
                RETURNING 1
                """, connection).count)
        case .releaseLeases(let owner, let now):
            let seconds = now.timeIntervalSince1970
            try await run("DELETE FROM instances WHERE id = \(owner)", connection)
            return .count(try await rows("""
                UPDATE messages SET state = 'pending', due_at = \(seconds), lease_owner = NULL, updated_at = \(seconds)
                WHERE lease_owner = \(owner) AND state = 'inflight'
                RETURNING 1
                """, connection).count)

        case .replay(let target, let now, let deadline):
            // Due now, a fresh attempt budget, a deadline of at least `deadline`; its id and history stay.
            var statement = PostgresQuery(unsafeSQL: "")
            statement.sql = """
                UPDATE messages
                SET state = 'pending', due_at = \(try statement.bind(now.timeIntervalSince1970)),
                    deadline = GREATEST(deadline, \(try statement.bind(deadline.timeIntervalSince1970))), round_start = attempt_count,
                    dead_reason = NULL, dead_at = NULL, updated_at = \(try statement.bind(now.timeIntervalSince1970))
                """
            switch target {
            case .message(let id):
                statement.sql += " WHERE id = \(try statement.bind(id))"
            case .matching(let filter):
                statement.sql += " WHERE id IN (SELECT m.id FROM messages m JOIN requests r ON r.id = m.request_id WHERE"
                Self.appendDeadLetterFilter(filter, to: &statement)
                statement.sql += ")"
            }
            statement.sql += " RETURNING 1"
            return .count(try await connection.query(statement, logger: logger).collect().count)
        case .purge(let ids):
            let attempts = try await rows("""
                DELETE FROM attempts WHERE message_id IN (SELECT id FROM messages WHERE request_id = ANY(\(ids))) RETURNING 1
                """, connection).count
            let messages = try await rows("DELETE FROM messages WHERE request_id = ANY(\(ids)) RETURNING 1", connection).count
            try await run("DELETE FROM idempotency_keys WHERE request_id = ANY(\(ids))", connection)
            try await run("DELETE FROM callback_events WHERE request_id = ANY(\(ids))", connection)
            try await run("DELETE FROM votes WHERE request_id = ANY(\(ids))", connection)
            let requests = try await rows("DELETE FROM requests WHERE id = ANY(\(ids)) RETURNING 1", connection).count
            return .purged(PurgeResult(requests: requests, messages: messages, attempts: attempts))
        case .revokeSession(let nonce, let expiresAt, let now):
            try await run("DELETE FROM console_revocations WHERE expires_at < \(now.timeIntervalSince1970)", connection)
            try await run("""
                INSERT INTO console_revocations (nonce, expires_at) VALUES (\(nonce), \(expiresAt.timeIntervalSince1970))
                ON CONFLICT (nonce) DO NOTHING
                """, connection)
        }
        return .nothing
    }

    /// The notification a write sends when its transaction commits: a decided request to every instance's waiters,
    /// due work to every instance's dispatcher.
    static func notification(_ write: StoreWrite) -> (channel: String, payload: String)? {
        switch write {
        case .notifyDecided(let requestId): return (PostgresSchema.decidedChannel, requestId)
        case .notifyDue: return (PostgresSchema.dueChannel, "")
        default: return nil
        }
    }

    /// `writes`' notifications in one statement (a decision sends two).
    func notify(_ writes: [StoreWrite], _ connection: PostgresConnection) async throws {
        var statement = PostgresQuery(unsafeSQL: "SELECT ")
        statement.sql += try writes.compactMap(Self.notification).map { notification in
            "pg_notify(\(try statement.bind(notification.channel)), \(try statement.bind(notification.payload)))"
        }.joined(separator: ", ")
        try await run(statement, connection)
    }

    func run(_ query: PostgresQuery, _ connection: PostgresConnection) async throws {
        try await connection.query(query, logger: logger)
    }

    /// One claim statement: the due messages picked and locked (SKIP LOCKED), then leased, in one round trip.
    private func claim(_ connection: PostgresConnection, endpointId: String?, url: String?, owner: String, now: Date, leaseUntil: Date,
                       take: Int, endpoint: Endpoint?, controlPlaneOnly: Bool = false) async throws -> [ClaimedMessage] {
        let seconds = now.timeIntervalSince1970
        return try await rows("""
            WITH picked AS MATERIALIZED (
                SELECT id FROM messages
                WHERE endpoint_id IS NOT DISTINCT FROM \(endpointId) AND state IN ('pending', 'inflight')
                  AND due_at <= \(seconds) AND deadline > \(seconds)
                  AND (NOT \(controlPlaneOnly) OR COALESCE(sink, 'callback') <> 'callback')
                ORDER BY due_at LIMIT \(take)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE messages m
            SET state = 'inflight', lease_owner = \(owner), lease_token = m.lease_token + 1, due_at = \(leaseUntil.timeIntervalSince1970),
                updated_at = \(seconds), url = CASE WHEN m.purpose = 'delivery' THEN COALESCE(\(url), m.url) ELSE m.url END
            FROM picked WHERE m.id = picked.id
            RETURNING \(unescaped: StoreColumns.qualified(StoreColumns.message, "m")), m.lease_token, m.round_start
            """, connection).map { try Self.claimed($0, endpoint: endpoint) }
    }

    private static func claimed(_ row: PostgresRow, endpoint: Endpoint?) throws -> ClaimedMessage {
        let access = row.makeRandomAccess()
        return ClaimedMessage(message: try PostgresRows.message(access), leaseToken: try access["lease_token"].decode(Int64.self),
                              roundStart: try access["round_start"].decode(Int.self), endpoint: endpoint)
    }
}
