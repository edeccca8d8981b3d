import Foundation
import PostgresNIO
import RelayCore

extension PostgresStore {
    public func submit(_ submit: NewRequest) async throws -> SubmitOutcome {
        // Two instances taking the same key or correlation id at once: the loser's insert fails on the
        // unique index, and the retry of this transaction finds the winner's row.
        try await transaction { connection in
            if let idempotency = submit.idempotency,
               let row = try await connection.query("""
                   SELECT body_hash, response_status, response_body FROM idempotency_keys WHERE key = \(idempotency.key)
                   """, logger: self.logger).collect().first {
                let (hash, status, body) = try row.decode((String, Int, Data).self)
                guard hash == idempotency.bodyHash else { return .keyReused }
                return .replayed(status: status, body: body)
            }
            if let existing = try await connection.query("""
                SELECT \(unescaped: StoreColumns.request) FROM requests WHERE correlation_id = \(submit.request.correlationId)
                """, logger: self.logger).collect().first {
                return .correlationIdTaken(existing: try PostgresRows.request(existing))
            }
            if let approvalRequestId = submit.request.approvalRequestId, let open = try await connection.query("""
                SELECT \(unescaped: StoreColumns.request) FROM requests
                WHERE approval_request_id = \(approvalRequestId) AND state IN \(unescaped: RequestState.openStatesSQL)
                """, logger: self.logger).collect().first {
                return .approvalRequestIdOpen(existing: try PostgresRows.request(open))
            }
            try await self.insert(submit.request, callbackTokenHash: submit.callbackTokenHash, connection)
            for message in submit.messages { try await self.insert(message, connection) }
            if let idempotency = submit.idempotency {
                try await connection.query("""
                    INSERT INTO idempotency_keys (key, body_hash, request_id, response_status, response_body, created_at)
                    VALUES (\(idempotency.key), \(idempotency.bodyHash), \(submit.request.id), \(idempotency.responseStatus),
                        \(idempotency.responseBody), \(submit.request.createdAt.timeIntervalSince1970))
                    """, logger: self.logger)
            }
            if !submit.messages.isEmpty { try await self.notifyDue(connection) }
            return .created(submit.request)
        }
    }

    public func timeline(idOrCorrelationId key: String) async throws -> RequestTimeline? {
        try await read { connection in
            guard let row = try await connection.query("""
                SELECT \(unescaped: StoreColumns.request) FROM requests WHERE id = \(key) OR correlation_id = \(key)
                ORDER BY id = \(key) DESC LIMIT 1
                """, logger: self.logger).collect().first else { return nil }
            let request = try PostgresRows.request(row)
            let messages = try await connection.query("""
                SELECT \(unescaped: StoreColumns.message) FROM messages WHERE request_id = \(request.id) ORDER BY created_at, id
                """, logger: self.logger).collect().map(PostgresRows.message)
            let attempts = try await connection.query("""
                SELECT a.* FROM attempts a JOIN messages m ON m.id = a.message_id WHERE m.request_id = \(request.id) ORDER BY a.id
                """, logger: self.logger).collect().map(PostgresRows.attempt)
            let byMessage = Dictionary(grouping: attempts, by: \.messageId)
            let callbacks = try await connection.query("""
                SELECT received_at, path, decision, outcome, endpoint, actor, state, excerpt FROM callback_events
                WHERE request_id = \(request.id) ORDER BY id
                """, logger: self.logger).collect().map { row in
                let (at, path, decision, outcome, endpoint, actor, state, excerpt) =
                    try row.decode((Double, String, String, String, String?, String?, String, String?).self)
                return CallbackRecord(path: path, receivedAt: PostgresRows.date(at), decision: decision,
                                      outcome: CallbackRecord.Outcome(rawValue: outcome) ?? .ignored, endpoint: endpoint, actor: actor,
                                      state: RequestState(rawValue: state) ?? .requested, excerpt: excerpt)
            }
            return RequestTimeline(request: request, messages: messages.map { MessageTimeline(message: $0, attempts: byMessage[$0.id] ?? []) },
                                   callbacks: callbacks)
        }
    }

    func insert(_ request: RelayRequest, callbackTokenHash: String? = nil, _ connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO requests (\(unescaped: StoreColumns.request), callback_token_hash) VALUES (\(request.id), \(request.kind.rawValue),
                \(request.correlationId), \(request.approvalRequestId), \(request.tool), \(request.state.rawValue), \(request.payload),
                \(request.callbackURL), \(request.deadline.timeIntervalSince1970), \(request.decisionReason),
                \(request.decidedAt?.timeIntervalSince1970), \(request.createdAt.timeIntervalSince1970),
                \(request.updatedAt.timeIntervalSince1970), \(request.decisionActor), \(request.decisionResult?.encoded()),
                \(request.controlPlaneState), \(request.flag), \(callbackTokenHash))
            """, logger: logger)
    }

    func insert(_ message: Message, _ connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO messages (\(unescaped: StoreColumns.message)) VALUES (\(message.id), \(message.requestId), \(message.endpointId),
                \(message.endpointName), \(message.purpose.rawValue), \(message.url), \(message.body), \(message.state.rawValue),
                \(message.attemptCount), \(message.dueAt.timeIntervalSince1970), \(message.deadline.timeIntervalSince1970),
                \(message.deadReason?.rawValue), \(message.lastError), \(message.createdAt.timeIntervalSince1970),
                \(message.updatedAt.timeIntervalSince1970), \(message.sink?.rawValue))
            """, logger: logger)
    }
}
