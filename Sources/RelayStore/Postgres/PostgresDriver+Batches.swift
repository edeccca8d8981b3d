import Foundation
import PostgresNIO
import RelayCore

/// On PostgreSQL the round trips are the cost (issue 16): the writes of one step that need no rows back run as
/// one statement of data-modifying CTEs instead of a statement each. A submit's request, deliveries, key and
/// wake-up are one round trip; so are a decision's new state, forward, callback record and notifications.
///
/// Every CTE of a statement reads the rows as they were before the statement, and none sees another's changes,
/// so a batch keeps the meaning of the same writes run one after another only when no write changes rows an
/// earlier one of the batch touched: a write that updates a table joins a batch that has not touched that table
/// yet; an insert joins any batch (its foreign-key checks run at the statement's end; its unique checks run row by
/// row, so no insert may need a key that an update of the same batch frees: none of the engine's steps does).
/// A statement holds at most `maxFragments` writes, far below PostgreSQL's 65,535 binds.
extension PostgresDriver {
    /// A write that can share a statement: the table it changes (or, writing several, the one it updates), how, and
    /// its CTEs, bound into the statement; the one named as asked returns a row per row changed when it is counted.
    struct Fragment {
        enum Change { case insert, update }
        /// What the write answers: nothing, `.count` of the rows it changed, or nothing but `error` when it changed none.
        enum Answer {
            case nothing, count
            case atLeastOne(StoreError)
        }
        var table: String
        var change: Change
        var answer = Answer.nothing
        var ctes: (inout PostgresQuery, _ name: String) throws -> String

        var counted: Bool {
            if case .nothing = answer { return false }
            return true
        }

        /// A write of one statement.
        init(table: String, change: Change, answer: Answer = .nothing, _ sql: @escaping (inout PostgresQuery) throws -> String) {
            let returning = if case .nothing = answer { "" } else { " RETURNING 1" }
            self.init(table: table, change: change, answer: answer) { statement, name in "\(name) AS (\(try sql(&statement))\(returning))" }
        }

        init(table: String, change: Change, answer: Answer = .nothing, ctes: @escaping (inout PostgresQuery, _ name: String) throws -> String) {
            self.table = table
            self.change = change
            self.answer = answer
            self.ctes = ctes
        }
    }

    static let maxFragments = 100

    /// `writes` in order, adjacent ones that may share a statement in one round trip.
    func execute(batch writes: [StoreWrite], _ connection: PostgresConnection) async throws -> [StoreValue] {
        var answers: [StoreValue] = []
        answers.reserveCapacity(writes.count)
        var index = writes.startIndex
        while index < writes.endIndex {
            var fragments: [(offset: Int, fragment: Fragment)] = []
            var notifications: [(channel: String, payload: String)] = []
            var touched: Set<String> = []
            var end = index
            while end < writes.endIndex, end - index < Self.maxFragments {
                if let notification = Self.notification(writes[end]) {
                    notifications.append(notification)
                } else if let fragment = Self.fragment(writes[end]), fragment.change == .insert || !touched.contains(fragment.table) {
                    touched.insert(fragment.table)
                    fragments.append((end - index, fragment))
                } else {
                    break
                }
                end += 1
            }
            if end == index {
                // A write that cannot share a statement (`fragment` is nil): it answers rows of its own.
                answers.append(try await execute(writes[index], connection))
                index += 1
                continue
            }
            var counts = try await run(fragments.map(\.fragment), notifications: notifications, connection)[...]
            var shared = Array(repeating: StoreValue.nothing, count: end - index)
            for (offset, fragment) in fragments where fragment.counted {
                let count = counts.removeFirst()
                switch fragment.answer {
                case .nothing: break
                case .count: shared[offset] = .count(count)
                case .atLeastOne(let error): if count == 0 { throw error }
                }
            }
            answers += shared
            index = end
        }
        return answers
    }

    /// One statement: each fragment a CTE (they all run, to completion, whether read or not), the notifications
    /// and the counted fragments' row counts in the main SELECT. Answers the counts in the fragments' order.
    func run(_ fragments: [Fragment], notifications: [(channel: String, payload: String)],
             _ connection: PostgresConnection) async throws -> [Int] {
        var statement = PostgresQuery(unsafeSQL: "")
        var ctes: [String] = []
        var columns: [String] = []
        for (index, fragment) in fragments.enumerated() {
            ctes.append(try fragment.ctes(&statement, "w\(index)"))
            if fragment.counted { columns.append("(SELECT count(*) FROM w\(index))") }
        }
        let counted = columns.count
        for notification in notifications {
            columns.append("pg_notify(\(try statement.bind(notification.channel)), \(try statement.bind(notification.payload)))")
        }
        statement.sql = (ctes.isEmpty ? "" : "WITH " + ctes.joined(separator: ", ") + " ")
            + "SELECT " + (columns.isEmpty ? "1" : columns.joined(separator: ", "))
        let row = try await rows(statement, connection).first?.makeRandomAccess()
        return try (0..<counted).map { try row?[$0].decode(Int.self) ?? 0 }
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

    /// The writes that may share a statement, in PostgreSQL's dialect; nil for the others (`execute`).
    static func fragment(_ write: StoreWrite) -> Fragment? {
        switch write {
        case .insertRequest(let request, let nextEscalationAt):
            return Fragment(table: "requests", change: .insert) { s in """
                INSERT INTO requests (\(StoreColumns.request), next_escalation_at) VALUES (\(try s.bind(request.id)),
                    \(try s.bind(request.kind.rawValue)), \(try s.bind(request.correlationId)), \(try s.bind(request.approvalRequestId)),
                    \(try s.bind(request.tool)), \(try s.bind(request.state.rawValue)), \(try s.bind(request.payload)),
                    \(try s.bind(request.callbackURL)), \(try s.bind(request.deadline.timeIntervalSince1970)),
                    \(try s.bind(request.decisionReason)), \(try s.bind(request.decidedAt?.timeIntervalSince1970)),
                    \(try s.bind(request.createdAt.timeIntervalSince1970)), \(try s.bind(request.updatedAt.timeIntervalSince1970)),
                    \(try s.bind(request.decisionActor)), \(try s.bind(request.decisionResult?.encoded())),
                    \(try s.bind(request.controlPlaneState)), \(try s.bind(request.flag)), \(try s.bind(try StoreColumns.lifecycle(request.lifecycle))),
                    \(try s.bind(request.controlPlaneRef)), \(try s.bind(request.trace?.traceparent)), \(try s.bind(request.trace?.tracestate)),
                    \(try s.bind(nextEscalationAt?.timeIntervalSince1970)))
                """ }
        case .insertMessage(let message):
            return Fragment(table: "messages", change: .insert) { s in """
                INSERT INTO messages (\(StoreColumns.message)) VALUES (\(try s.bind(message.id)), \(try s.bind(message.requestId)),
                    \(try s.bind(message.endpointId)), \(try s.bind(message.endpointName)), \(try s.bind(message.purpose.rawValue)),
                    \(try s.bind(message.url)), \(try s.bind(message.body)), \(try s.bind(message.state.rawValue)),
                    \(try s.bind(message.attemptCount)), \(try s.bind(message.dueAt.timeIntervalSince1970)),
                    \(try s.bind(message.deadline.timeIntervalSince1970)), \(try s.bind(message.deadReason?.rawValue)),
                    \(try s.bind(message.lastError)), \(try s.bind(message.createdAt.timeIntervalSince1970)),
                    \(try s.bind(message.updatedAt.timeIntervalSince1970)), \(try s.bind(message.sink?.rawValue)),
                    \(try s.bind(message.callbackTokenHash)), \(try s.bind(message.trace?.traceparent)), \(try s.bind(message.trace?.tracestate)))
                """ }
        case .insertIdempotency(let record, let requestId, let at):
            return Fragment(table: "idempotency_keys", change: .insert) { s in """
                INSERT INTO idempotency_keys (key, body_hash, request_id, response_status, response_body, created_at)
                VALUES (\(try s.bind(record.key)), \(try s.bind(record.bodyHash)), \(try s.bind(requestId)), \(try s.bind(record.responseStatus)),
                    \(try s.bind(record.responseBody)), \(try s.bind(at.timeIntervalSince1970)))
                """ }
        case .recordDecision(let requestId, let state, let decision, let at):
            return Fragment(table: "requests", change: .update) { s in
                let seconds = try s.bind(at.timeIntervalSince1970)
                return """
                    UPDATE requests SET state = \(try s.bind(state.rawValue)), decision_reason = \(try s.bind(decision.reason)),
                        decision_actor = \(try s.bind(decision.actor)), decision_result = \(try s.bind(decision.result?.encoded())),
                        decided_at = \(seconds), updated_at = \(seconds)
                    WHERE id = \(try s.bind(requestId))
                    """
            }
        case .insertCallbackEvent(let requestId, let record):
            return Fragment(table: "callback_events", change: .insert) { s in """
                INSERT INTO callback_events (request_id, \(StoreColumns.callbackEvent))
                VALUES (\(try s.bind(requestId)), \(try s.bind(record.receivedAt.timeIntervalSince1970)), \(try s.bind(record.path)),
                    \(try s.bind(record.decision)), \(try s.bind(record.outcome.rawValue)), \(try s.bind(record.endpoint)),
                    \(try s.bind(record.actor)), \(try s.bind(record.state.rawValue)), \(try s.bind(record.excerpt)))
                """ }
        case .recordControlPlaneAnswer(let requestId, let answer, let at):
            return Fragment(table: "requests", change: .update) { s in """
                UPDATE requests SET control_plane_state = \(try s.bind(answer.state)), flag = COALESCE(\(try s.bind(answer.flag)), flag),
                    updated_at = \(try s.bind(at.timeIntervalSince1970))
                WHERE id = \(try s.bind(requestId))
                """ }
        case .supersedeDeliveries(let requestId, let at):
            return Fragment(table: "messages", change: .update, answer: .count) { s in """
                UPDATE messages SET state = 'superseded', lease_owner = NULL, updated_at = \(try s.bind(at.timeIntervalSince1970))
                WHERE request_id = \(try s.bind(requestId)) AND purpose = 'delivery' AND state = 'pending'
                """ }
        case .insertVote(let requestId, let vote):
            return Fragment(table: "votes", change: .insert) { s in """
                INSERT INTO votes (request_id, \(StoreColumns.vote)) VALUES (\(try s.bind(requestId)), \(try s.bind(vote.endpoint)),
                    \(try s.bind(vote.decision.rawValue)), \(try s.bind(vote.reason)), \(try s.bind(vote.actor)), \(try s.bind(vote.path.rawValue)),
                    \(try s.bind(vote.castAt.timeIntervalSince1970)))
                """ }
        case .recordEscalation(let requestId, let lifecycle, let nextAt, let at):
            return Fragment(table: "requests", change: .update) { s in """
                UPDATE requests SET lifecycle = \(try s.bind(try StoreColumns.lifecycle(lifecycle))),
                    next_escalation_at = \(try s.bind(nextAt?.timeIntervalSince1970)), updated_at = \(try s.bind(at.timeIntervalSince1970))
                WHERE id = \(try s.bind(requestId))
                """ }
        case .insertAttempt(let attempt):
            return Fragment(table: "attempts", change: .insert) { s in """
                INSERT INTO attempts (message_id, number, started_at, duration_ms, status_code, error, response_excerpt, outcome)
                VALUES (\(try s.bind(attempt.messageId)), \(try s.bind(attempt.number)), \(try s.bind(attempt.startedAt.timeIntervalSince1970)),
                    \(try s.bind(attempt.durationMs)), \(try s.bind(attempt.statusCode)), \(try s.bind(attempt.error)),
                    \(try s.bind(attempt.responseExcerpt)), \(try s.bind(attempt.outcome.rawValue)))
                """ }
        case .setCircuit(let endpointId, let failures, let nextProbeAt):
            return Fragment(table: "endpoints", change: .update) { s in """
                UPDATE endpoints SET consecutive_failures = \(try s.bind(failures)), next_probe_at = \(try s.bind(nextProbeAt?.timeIntervalSince1970))
                WHERE id = \(try s.bind(endpointId))
                """ }
        case .disableEndpoint(let id, let reason, let at):
            return Fragment(table: "endpoints", change: .update) { s in """
                UPDATE endpoints SET enabled = false, disabled_reason = \(try s.bind(reason)), updated_at = \(try s.bind(at.timeIntervalSince1970))
                WHERE id = \(try s.bind(id))
                """ }
        case .appendAudit(let records):
            // Each record linked where the head is read and locked, in this one statement: `AuditChain.template` hashed
            // around the head's values, so the head is held from here to the commit and not a round trip longer.
            return Fragment(table: "audit_head", change: .update, answer: .atLeastOne(.auditHeadMissing)) { s, name in
                var ctes = ["\(name)_head AS (SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE)"]
                var previous = "\(name)_head"
                for (index, record) in records.enumerated() {
                    let (beforePrevious, beforeSeq) = AuditChain.template(record)
                    let entry = "\(name)_e\(index)"
                    ctes.append("""
                        \(entry) AS (SELECT seq + 1 AS seq, hash AS previous_hash, encode(sha256(\(try s.bind(beforePrevious))
                            || convert_to(hash, 'UTF8') || \(try s.bind(beforeSeq)) || convert_to((seq + 1)::text || '}', 'UTF8')), 'hex') AS hash
                            FROM \(previous))
                        """)
                    ctes.append("""
                        \(entry)_log AS (INSERT INTO audit_log (\(StoreColumns.audit)) SELECT seq, \(try s.bind(record.recordedAtMs)),
                            \(try s.bind(record.kind)), \(try s.bind(record.requestId)), \(try s.bind(record.correlationId)), \(try s.bind(record.path)),
                            \(try s.bind(record.endpoint)), \(try s.bind(record.actor)), \(try s.bind(record.decision)), \(try s.bind(record.reason)),
                            \(try s.bind(record.bodySHA256)), previous_hash, hash FROM \(entry))
                        """)
                    previous = entry
                }
                ctes.append("\(name) AS (UPDATE audit_head SET seq = last.seq, hash = last.hash FROM \(previous) last WHERE audit_head.id = 1 RETURNING 1)")
                return ctes.joined(separator: ", ")
            }
        default:
            return nil
        }
    }
}

extension PostgresQuery {
    /// Appends `value` to the binds and returns its placeholder, for statements built piece by piece.
    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) throws -> String {
        try binds.append(value)
        return "$\(binds.count)"
    }

    /// Appends `value`, or NULL, to the binds and returns its placeholder.
    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value?) throws -> String {
        try binds.append(value)
        return "$\(binds.count)"
    }
}
