import Foundation
import PostgresNIO
import RelayCore
import Synchronization

extension PostgresDriver {
    /// Executes one of the engine's writes that cannot share a statement (`execute(batch:)` renders the others), in PostgreSQL's dialect.
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

        case .insertRequest, .insertMessage, .insertIdempotency, .recordDecision, .insertCallbackEvent, .recordControlPlaneAnswer,
             .supersedeDeliveries, .insertVote, .recordEscalation, .insertAttempt, .setCircuit, .disableEndpoint, .appendAudit, .notifyDecided, .notifyDue:
            // `execute(batch:)`, the only caller, renders these itself (`fragment`, `notification`): routing them back
            // would loop if the two lists ever disagreed.
            preconditionFailure("\(write) is written as part of a batch by execute(batch:)")
        case .expireDeliveries(let requestId, let at):
            let seconds = at.timeIntervalSince1970
            return .deadLettered(try await rows("""
                UPDATE messages
                SET state = 'dead', dead_reason = 'deadline', dead_at = \(seconds), lease_owner = NULL, updated_at = \(seconds),
                    last_error = COALESCE(last_error, 'the request expired before delivery')
                WHERE request_id = \(requestId) AND purpose = 'delivery' AND state IN ('pending', 'inflight')
                RETURNING \(unescaped: StoreColumns.deadLetterNote)
                """, connection).map(PostgresRows.deadLetterNote))
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
            return .fenced(try await rows(Hot.CompleteMessage.self, connection) { binds in
                binds.append(record.state.rawValue)
                binds.append(record.dueAt)
                binds.append(record.deadReason?.rawValue)
                binds.append(record.deadAt)
                binds.append(error)
                binds.append(record.now)
                binds.append(id)
                binds.append(leaseToken)
            }.first.map { row in
                let (requestId, endpointId, endpointName, purpose, failures, nextProbeAt)
                    = try row.decode((String, String?, String, String, Int?, Double?).self)
                return FencedMessage(requestId: requestId, endpointId: endpointId, endpointName: endpointName,
                                     purpose: try PostgresRows.decodeEnum(purpose), circuit: failures.map {
                    CircuitReading(consecutiveFailures: $0, nextProbeAt: nextProbeAt.map(PostgresRows.date))
                })
            })
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
            return .count(try await rows(statement, connection).count)
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

    func run(_ query: PostgresQuery, _ connection: PostgresConnection) async throws {
        statementsSent.add(1, ordering: .relaxed)
        try await connection.query(query, logger: logger)
    }

    /// The claim statement (`Hot.Claim`): one round trip.
    private func claim(_ connection: PostgresConnection, endpointId: String?, url: String?, owner: String, now: Date, leaseUntil: Date,
                       take: Int, endpoint: Endpoint?, controlPlaneOnly: Bool = false) async throws -> [ClaimedMessage] {
        try await rows(Hot.Claim.self, connection) { binds in
            binds.append(endpointId)
            binds.append(now.timeIntervalSince1970)
            binds.append(controlPlaneOnly)
            binds.append(take)
            binds.append(owner)
            binds.append(leaseUntil.timeIntervalSince1970)
            binds.append(url)
        }.map { try Self.claimed($0, endpoint: endpoint) }
    }

    private static func claimed(_ row: PostgresRow, endpoint: Endpoint?) throws -> ClaimedMessage {
        let access = row.makeRandomAccess()
        return ClaimedMessage(message: try PostgresRows.message(access), leaseToken: try access["lease_token"].decode(Int64.self),
                              roundStart: try access["round_start"].decode(Int.self), endpoint: endpoint)
    }
}
