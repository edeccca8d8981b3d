import Foundation
import GRDB
import RelayCore

extension SQLiteStore {
    public func submit(_ submit: NewRequest) async throws -> SubmitOutcome {
        try await committer.write { db in
            if let idempotency = submit.idempotency,
               let row = try Row.fetchOneCached(db, sql: """
                   SELECT body_hash, response_status, response_body FROM idempotency_keys WHERE key = ?
                   """, arguments: [idempotency.key]) {
                guard row["body_hash"] as String == idempotency.bodyHash else { return .keyReused }
                return .replayed(status: row["response_status"], body: row["response_body"])
            }
            if let existing = try Row.fetchOneCached(db, sql: """
                SELECT \(SQLiteRows.requestColumns) FROM requests WHERE correlation_id = ?
                """, arguments: [submit.request.correlationId]) {
                return .correlationIdTaken(existing: try SQLiteRows.request(existing))
            }
            if let approvalRequestId = submit.request.approvalRequestId, let open = try Row.fetchOneCached(db, sql: """
                SELECT \(SQLiteRows.requestColumns) FROM requests
                WHERE approval_request_id = ? AND state IN \(RequestState.openStatesSQL)
                """, arguments: [approvalRequestId]) {
                return .approvalRequestIdOpen(existing: try SQLiteRows.request(open))
            }
            try Self.insert(submit.request, db)
            if let hash = submit.callbackTokenHash {
                try db.cachedExecute(sql: "UPDATE requests SET callback_token_hash = ? WHERE id = ?", arguments: [hash, submit.request.id])
            }
            for message in submit.messages { try Self.insert(message, db) }
            if let idempotency = submit.idempotency {
                try db.cachedExecute(sql: """
                    INSERT INTO idempotency_keys (key, body_hash, request_id, response_status, response_body, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        idempotency.key, idempotency.bodyHash, submit.request.id, idempotency.responseStatus,
                        idempotency.responseBody, submit.request.createdAt.timeIntervalSince1970,
                    ])
            }
            return .created(submit.request)
        }
    }

    public func timeline(idOrCorrelationId: String) async throws -> RequestTimeline? {
        try await pool.read { db in
            guard let row = try Row.fetchOneCached(db, sql: """
                SELECT \(SQLiteRows.requestColumns) FROM requests WHERE id = ? OR correlation_id = ?
                ORDER BY id = ? DESC LIMIT 1
                """, arguments: [idOrCorrelationId, idOrCorrelationId, idOrCorrelationId]) else { return nil }
            let request = try SQLiteRows.request(row)
            let messages = try Row.fetchAllCached(db, sql: """
                SELECT \(SQLiteRows.messageColumns) FROM messages WHERE request_id = ? ORDER BY created_at, id
                """, arguments: [request.id]).map(SQLiteRows.message)
            let attempts = try Row.fetchAllCached(db, sql: """
                SELECT a.* FROM attempts a JOIN messages m ON m.id = a.message_id
                WHERE m.request_id = ? ORDER BY a.id
                """, arguments: [request.id]).map(SQLiteRows.attempt)
            let byMessage = Dictionary(grouping: attempts, by: \.messageId)
            let callbacks = try Row.fetchAllCached(db, sql: """
                SELECT received_at, path, decision, outcome, endpoint, actor, state, excerpt FROM callback_events
                WHERE request_id = ? ORDER BY id
                """, arguments: [request.id]).map { row in
                CallbackRecord(path: row["path"], receivedAt: SQLiteRows.date(row["received_at"]), decision: row["decision"],
                               outcome: CallbackRecord.Outcome(rawValue: row["outcome"]) ?? .ignored, endpoint: row["endpoint"],
                               actor: row["actor"], state: RequestState(rawValue: row["state"]) ?? .requested, excerpt: row["excerpt"])
            }
            return RequestTimeline(
                request: request,
                messages: messages.map { MessageTimeline(message: $0, attempts: byMessage[$0.id] ?? []) },
                callbacks: callbacks
            )
        }
    }

    static func insert(_ request: RelayRequest, _ db: Database) throws {
        try db.cachedExecute(sql: "INSERT INTO requests (\(SQLiteRows.requestColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", arguments: [
            request.id, request.kind.rawValue, request.correlationId, request.approvalRequestId, request.tool,
            request.state.rawValue, request.payload, request.callbackURL, request.deadline.timeIntervalSince1970,
            request.decisionReason, request.decidedAt?.timeIntervalSince1970, request.createdAt.timeIntervalSince1970,
            request.updatedAt.timeIntervalSince1970, request.decisionActor, request.decisionResult?.encoded(),
            request.controlPlaneState, request.flag,
        ])
    }

    static func insert(_ message: Message, _ db: Database) throws {
        try db.cachedExecute(sql: "INSERT INTO messages (\(SQLiteRows.messageColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", arguments: [
            message.id, message.requestId, message.endpointId, message.endpointName, message.purpose.rawValue,
            message.url, message.body, message.state.rawValue, message.attemptCount,
            message.dueAt.timeIntervalSince1970, message.deadline.timeIntervalSince1970, message.deadReason?.rawValue,
            message.lastError, message.createdAt.timeIntervalSince1970, message.updatedAt.timeIntervalSince1970,
            message.sink?.rawValue,
        ])
    }
}
