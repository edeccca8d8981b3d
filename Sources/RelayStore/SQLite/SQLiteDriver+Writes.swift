import Foundation
import GRDB
import RelayCore

extension SQLiteDriver {
    /// Executes one of the engine's writes in SQLite's dialect.
    static func execute(_ write: StoreWrite, _ db: Database) throws -> StoreValue {
        switch write {
        case .insertEndpoint(let endpoint):
            try db.execute(sql: "INSERT INTO endpoints (\(StoreColumns.endpoint)) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           arguments: try endpointArguments(endpoint))
        case .updateEndpoint(let endpoint):
            var arguments = try endpointArguments(endpoint)
            _ = arguments.append(contentsOf: [endpoint.id])
            try db.cachedExecute(sql: """
                UPDATE endpoints SET id = ?, name = ?, role = ?, url = ?, secrets = ?, settings = ?, enabled = ?, disabled_reason = ?,
                    created_at = ?, updated_at = ?, declared_in = ?
                WHERE id = ?
                """, arguments: arguments)
            return .count(db.changesCount)
        case .deleteEndpoint(let id):
            try db.cachedExecute(sql: "DELETE FROM endpoints WHERE id = ?", arguments: [id])
        case .setNextProbe(let endpointId, let at):
            try db.cachedExecute(sql: "UPDATE endpoints SET next_probe_at = ? WHERE id = ?", arguments: [at.timeIntervalSince1970, endpointId])
        case .setCircuit(let endpointId, let failures, let nextProbeAt):
            try db.cachedExecute(sql: "UPDATE endpoints SET consecutive_failures = ?, next_probe_at = ? WHERE id = ?",
                                 arguments: [failures, nextProbeAt?.timeIntervalSince1970, endpointId])
        case .disableEndpoint(let id, let reason, let at):
            try db.cachedExecute(sql: "UPDATE endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?",
                                 arguments: [reason, at.timeIntervalSince1970, id])

        case .insertRequest(let request, let nextEscalationAt):
            try db.cachedExecute(sql: "INSERT INTO requests (\(StoreColumns.request), next_escalation_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                 arguments: [
                                     request.id, request.kind.rawValue, request.correlationId, request.approvalRequestId, request.tool,
                                     request.state.rawValue, request.payload, request.callbackURL, request.deadline.timeIntervalSince1970,
                                     request.decisionReason, request.decidedAt?.timeIntervalSince1970, request.createdAt.timeIntervalSince1970,
                                     request.updatedAt.timeIntervalSince1970, request.decisionActor, request.decisionResult?.encoded(),
                                     request.controlPlaneState, request.flag, try StoreColumns.lifecycle(request.lifecycle),
                                     request.controlPlaneRef, request.trace?.traceparent, request.trace?.tracestate,
                                     nextEscalationAt?.timeIntervalSince1970,
                                 ])
        case .insertMessage(let message):
            try db.cachedExecute(sql: "INSERT INTO messages (\(StoreColumns.message)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", arguments: [
                message.id, message.requestId, message.endpointId, message.endpointName, message.purpose.rawValue,
                message.url, message.body, message.state.rawValue, message.attemptCount,
                message.dueAt.timeIntervalSince1970, message.deadline.timeIntervalSince1970, message.deadReason?.rawValue,
                message.lastError, message.createdAt.timeIntervalSince1970, message.updatedAt.timeIntervalSince1970,
                message.sink?.rawValue, message.callbackTokenHash, message.trace?.traceparent, message.trace?.tracestate,
            ])
        case .insertIdempotency(let record, let requestId, let at):
            try db.cachedExecute(sql: """
                INSERT INTO idempotency_keys (key, body_hash, request_id, response_status, response_body, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [record.key, record.bodyHash, requestId, record.responseStatus, record.responseBody, at.timeIntervalSince1970])
        case .recordDecision(let requestId, let state, let decision, let at):
            try db.cachedExecute(sql: """
                UPDATE requests SET state = ?, decision_reason = ?, decision_actor = ?, decision_result = ?, decided_at = ?, updated_at = ?
                WHERE id = ?
                """, arguments: [state.rawValue, decision.reason, decision.actor, decision.result?.encoded(),
                                 at.timeIntervalSince1970, at.timeIntervalSince1970, requestId])
        case .expireDeliveries(let requestId, let at):
            return .deadLettered(try Row.fetchAllCached(db, sql: """
                UPDATE messages
                SET state = 'dead', dead_reason = 'deadline', dead_at = ?, lease_owner = NULL, updated_at = ?,
                    last_error = COALESCE(last_error, 'the request expired before delivery')
                WHERE request_id = ? AND purpose = 'delivery' AND state IN ('pending', 'inflight')
                RETURNING \(StoreColumns.deadLetterNote)
                """, arguments: [at.timeIntervalSince1970, at.timeIntervalSince1970, requestId]).map(SQLiteRows.deadLetterNote))
        case .insertCallbackEvent(let requestId, let record):
            try db.cachedExecute(sql: """
                INSERT INTO callback_events (request_id, \(StoreColumns.callbackEvent)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [requestId, record.receivedAt.timeIntervalSince1970, record.path, record.decision, record.outcome.rawValue,
                                 record.endpoint, record.actor, record.state.rawValue, record.excerpt])
        case .recordControlPlaneAnswer(let requestId, let answer, let at):
            try db.cachedExecute(sql: "UPDATE requests SET control_plane_state = ?, flag = COALESCE(?, flag), updated_at = ? WHERE id = ?",
                                 arguments: [answer.state, answer.flag, at.timeIntervalSince1970, requestId])
        case .supersedeDeliveries(let requestId, let at):
            try db.cachedExecute(sql: """
                UPDATE messages SET state = 'superseded', lease_owner = NULL, updated_at = ?
                WHERE request_id = ? AND purpose = 'delivery' AND state = 'pending'
                """, arguments: [at.timeIntervalSince1970, requestId])
            return .count(db.changesCount)
        case .insertVote(let requestId, let vote):
            try db.cachedExecute(sql: "INSERT INTO votes (request_id, \(StoreColumns.vote)) VALUES (?, ?, ?, ?, ?, ?, ?)", arguments: [
                requestId, vote.endpoint, vote.decision.rawValue, vote.reason, vote.actor, vote.path.rawValue, vote.castAt.timeIntervalSince1970,
            ])
        case .recordEscalation(let requestId, let lifecycle, let nextAt, let at):
            try db.cachedExecute(sql: "UPDATE requests SET lifecycle = ?, next_escalation_at = ?, updated_at = ? WHERE id = ?",
                                 arguments: [try StoreColumns.lifecycle(lifecycle), nextAt?.timeIntervalSince1970, at.timeIntervalSince1970, requestId])
        case .appendAudit(let records):
            let entries = AuditChain.append(records, after: try SQLiteRows.auditHead(db))
            for entry in entries {
                let record = entry.record
                try db.cachedExecute(sql: "INSERT INTO audit_log (\(StoreColumns.audit)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", arguments: [
                    entry.seq, record.recordedAtMs, record.kind, record.requestId, record.correlationId, record.path, record.endpoint,
                    record.actor, record.decision, record.reason, record.bodySHA256, entry.previousHash, entry.hash,
                ])
            }
            if let last = entries.last {
                try db.cachedExecute(sql: "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", arguments: [last.seq, last.hash])
            }
        case .notifyDecided:
            break  // `run` collects these and signals after the commit

        case .claimDeliveries(let endpoint, let owner, let now, let leaseUntil, let take):
            let seconds = now.timeIntervalSince1970
            return .claimed(try Row.fetchAllCached(db, sql: """
                UPDATE messages
                SET state = 'inflight', lease_owner = ?, lease_token = lease_token + 1, due_at = ?, updated_at = ?,
                    url = CASE WHEN purpose = 'delivery' THEN ? ELSE url END
                WHERE id IN (
                    SELECT id FROM messages
                    WHERE endpoint_id = ? AND state IN ('pending', 'inflight') AND due_at <= ? AND deadline > ?
                    ORDER BY due_at LIMIT ?
                )
                RETURNING \(StoreColumns.message), lease_token, round_start
                """, arguments: [owner, leaseUntil.timeIntervalSince1970, seconds, endpoint.url, endpoint.id, seconds, seconds, take])
                .map { try claimed($0, endpoint: endpoint) })
        case .claimControlPlaneForwards(let owner, let now, let leaseUntil, let take):
            let seconds = now.timeIntervalSince1970
            return .claimed(try Row.fetchAllCached(db, sql: """
                UPDATE messages
                SET state = 'inflight', lease_owner = ?, lease_token = lease_token + 1, due_at = ?, updated_at = ?
                WHERE id IN (
                    SELECT id FROM messages
                    WHERE endpoint_id IS NULL AND state IN ('pending', 'inflight') AND due_at <= ? AND deadline > ?
                      AND COALESCE(sink, 'callback') <> 'callback'
                    ORDER BY due_at LIMIT ?
                )
                RETURNING \(StoreColumns.message), lease_token, round_start
                """, arguments: [owner, leaseUntil.timeIntervalSince1970, seconds, seconds, seconds, take]).map { try claimed($0, endpoint: nil) })
        case .claimMessages(let ids, let owner, let now, let leaseUntil):
            return .claimed(try Row.fetchAll(db, sql: """
                UPDATE messages SET state = 'inflight', lease_owner = ?, lease_token = lease_token + 1, due_at = ?, updated_at = ?
                WHERE id IN (\(databaseQuestionMarks(count: ids.count)))
                RETURNING \(StoreColumns.message), lease_token, round_start
                """, arguments: StatementArguments([owner, leaseUntil.timeIntervalSince1970, now.timeIntervalSince1970] as [any DatabaseValueConvertible])
                    + StatementArguments(ids)).map { try claimed($0, endpoint: nil) })
        case .completeMessage(let id, let leaseToken, let record, let error):
            // RETURNING hands back what the rest of the record needs, so nothing reads the message again.
            return .fenced(try Row.fetchOneCached(db, sql: """
                UPDATE messages
                SET state = ?, attempt_count = attempt_count + 1, due_at = ?, lease_owner = NULL,
                    dead_reason = ?, dead_at = ?, last_error = ?, updated_at = ?
                WHERE id = ? AND lease_token = ? AND state = 'inflight'
                RETURNING request_id, endpoint_id, endpoint_name, purpose, \(StoreColumns.circuitReturning)
                """, arguments: [record.state.rawValue, record.dueAt, record.deadReason?.rawValue, record.deadAt,
                                 error, record.now, id, leaseToken]).map { row in
                let failures: Int? = row["consecutive_failures"]
                return FencedMessage(requestId: row["request_id"], endpointId: row["endpoint_id"], endpointName: row["endpoint_name"],
                                     purpose: try SQLiteRows.decodeEnum(row["purpose"]), circuit: failures.map {
                    CircuitReading(consecutiveFailures: $0, nextProbeAt: (row["next_probe_at"] as Double?).map(SQLiteRows.date))
                })
            })
        case .insertAttempt(let attempt):
            try db.cachedExecute(sql: """
                INSERT INTO attempts (message_id, number, started_at, duration_ms, status_code, error, response_excerpt, outcome)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [attempt.messageId, attempt.number, attempt.startedAt.timeIntervalSince1970, attempt.durationMs,
                                 attempt.statusCode, attempt.error, attempt.responseExcerpt, attempt.outcome.rawValue])
        case .deadLetterPastDeadline(let now):
            let seconds = now.timeIntervalSince1970
            return .deadLettered(try Row.fetchAllCached(db, sql: """
                UPDATE messages
                SET state = 'dead', dead_reason = 'deadline', dead_at = ?, lease_owner = NULL, updated_at = ?,
                    last_error = COALESCE(last_error, 'deadline passed before delivery')
                WHERE state IN ('pending', 'inflight') AND deadline <= ? AND (state = 'pending' OR due_at <= ?)
                RETURNING \(StoreColumns.deadLetterNote)
                """, arguments: [seconds, seconds, seconds, seconds]).map(SQLiteRows.deadLetterNote))

        case .heartbeat(let owner, let now):
            try db.cachedExecute(sql: """
                INSERT INTO instances (id, started_at, heartbeat_at) VALUES (?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
                """, arguments: [owner, now.timeIntervalSince1970, now.timeIntervalSince1970])
        case .reclaimFromStaleInstances(let owner, let now, let staleBefore):
            let stale = try String.fetchAll(db, sql: "DELETE FROM instances WHERE heartbeat_at < ? AND id <> ? RETURNING id",
                                            arguments: [staleBefore.timeIntervalSince1970, owner])
            guard !stale.isEmpty else { return .count(0) }
            try db.execute(sql: """
                UPDATE messages SET state = 'pending', due_at = ?, lease_owner = NULL, updated_at = ?
                WHERE state = 'inflight' AND lease_owner IN (\(databaseQuestionMarks(count: stale.count)))
                """, arguments: StatementArguments([now.timeIntervalSince1970, now.timeIntervalSince1970]) + StatementArguments(stale))
            return .count(db.changesCount)
        case .reclaimAllBut(let owner, let now):
            try db.cachedExecute(sql: "DELETE FROM instances WHERE id <> ?", arguments: [owner])
            try db.cachedExecute(sql: """
                UPDATE messages SET state = 'pending', due_at = ?, lease_owner = NULL, updated_at = ?
                WHERE state = 'inflight' AND lease_owner IS NOT ?
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, owner])
            return .count(db.changesCount)
        case .releaseLeases(let owner, let now):
            try db.cachedExecute(sql: "DELETE FROM instances WHERE id = ?", arguments: [owner])
            try db.cachedExecute(sql: """
                UPDATE messages SET state = 'pending', due_at = ?, lease_owner = NULL, updated_at = ?
                WHERE lease_owner = ? AND state = 'inflight'
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, owner])
            return .count(db.changesCount)

        case .replay(let target, let now, let deadline):
            // Due now, a fresh attempt budget, a deadline of at least `deadline`; its id and history stay.
            let replay = """
                UPDATE messages
                SET state = 'pending', due_at = ?, deadline = MAX(deadline, ?), round_start = attempt_count,
                    dead_reason = NULL, dead_at = NULL, updated_at = ?
                """
            let times: StatementArguments = [now.timeIntervalSince1970, deadline.timeIntervalSince1970, now.timeIntervalSince1970]
            switch target {
            case .message(let id):
                try db.execute(sql: "\(replay) WHERE id = ?", arguments: times + [id])
            case .matching(let filter):
                let (terms, arguments) = deadLetterFilter(filter)
                try db.execute(sql: "\(replay) WHERE id IN (SELECT m.id FROM messages m JOIN requests r ON r.id = m.request_id WHERE \(terms))",
                               arguments: times + arguments)
            }
            return .count(db.changesCount)
        case .purge(let ids):
            let placeholders = databaseQuestionMarks(count: ids.count)
            let arguments = StatementArguments(ids)
            try db.execute(sql: "DELETE FROM attempts WHERE message_id IN (SELECT id FROM messages WHERE request_id IN (\(placeholders)))",
                           arguments: arguments)
            let attempts = db.changesCount
            try db.execute(sql: "DELETE FROM messages WHERE request_id IN (\(placeholders))", arguments: arguments)
            let messages = db.changesCount
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE request_id IN (\(placeholders))", arguments: arguments)
            try db.execute(sql: "DELETE FROM callback_events WHERE request_id IN (\(placeholders))", arguments: arguments)
            try db.execute(sql: "DELETE FROM votes WHERE request_id IN (\(placeholders))", arguments: arguments)
            try db.execute(sql: "DELETE FROM requests WHERE id IN (\(placeholders))", arguments: arguments)
            return .purged(PurgeResult(requests: db.changesCount, messages: messages, attempts: attempts))
        case .revokeSession(let nonce, let expiresAt, let now):
            try db.cachedExecute(sql: "DELETE FROM console_revocations WHERE expires_at < ?", arguments: [now.timeIntervalSince1970])
            try db.cachedExecute(sql: "INSERT OR REPLACE INTO console_revocations (nonce, expires_at) VALUES (?, ?)",
                                 arguments: [nonce, expiresAt.timeIntervalSince1970])
        case .notifyDue:
            break
        }
        return .nothing
    }

    /// A row a claim statement returned, as the claimed message it is.
    private static func claimed(_ row: Row, endpoint: Endpoint?) throws -> ClaimedMessage {
        ClaimedMessage(message: try SQLiteRows.message(row), leaseToken: row["lease_token"], roundStart: row["round_start"], endpoint: endpoint)
    }

    static func endpointArguments(_ endpoint: Endpoint) throws -> StatementArguments {
        [
            endpoint.id, endpoint.name, endpoint.role.rawValue, endpoint.url,
            try JSONCoding.encode(endpoint.secrets), try JSONCoding.encode(endpoint.settings),
            endpoint.enabled, endpoint.disabledReason, endpoint.createdAt.timeIntervalSince1970, endpoint.updatedAt.timeIntervalSince1970,
            endpoint.declaredIn,
        ]
    }
}
