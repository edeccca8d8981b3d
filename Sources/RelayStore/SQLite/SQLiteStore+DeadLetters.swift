import Foundation
import GRDB
import RelayCore

extension SQLiteStore {
    public func deadLetters(_ query: DeadLetterQuery) async throws -> DeadLetterPage {
        try await pool.read { db in
            var (conditions, arguments) = Self.deadLetterFilter(query)
            if let cursor = query.cursor.flatMap(DeadLetterCursor.init) {
                conditions.append("(m.dead_at < ? OR (m.dead_at = ? AND m.id < ?))")
                _ = arguments.append(contentsOf: [cursor.deadAt, cursor.deadAt, cursor.id])
            }
            _ = arguments.append(contentsOf: [query.limit + 1])
            let rows = try Row.fetchAll(db, sql: """
                SELECT \(StoreColumns.qualified(SQLiteRows.messageColumns, "m")),
                    m.dead_at, r.kind, r.correlation_id
                FROM messages m JOIN requests r ON r.id = m.request_id
                WHERE \(conditions.joined(separator: " AND "))
                ORDER BY m.dead_at DESC, m.id DESC
                LIMIT ?
                """, arguments: arguments)
            var items = try rows.prefix(query.limit).map { row in
                DeadLetter(
                    message: try SQLiteRows.message(row), kind: try SQLiteRows.decodeEnum(row["kind"]),
                    correlationId: row["correlation_id"], deadAt: SQLiteRows.date(row["dead_at"])
                )
            }
            let next = rows.count > query.limit ? items.last.map {
                DeadLetterCursor(deadAt: $0.deadAt.timeIntervalSince1970, id: $0.message.id).encoded
            } : nil
            items = Array(items)
            return DeadLetterPage(items: items, nextCursor: next)
        }
    }

    public func replay(messageId: String, now: Date, deadline: Date) async throws -> Message {
        try await committer.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT state FROM messages WHERE id = ?
                """, arguments: [messageId]) else {
                throw StoreError.notFound("no message \(messageId)")
            }
            guard row["state"] as String == MessageState.dead.rawValue else {
                throw StoreError.conflict("message \(messageId) is \(row["state"] as String), not dead: only dead letters can be replayed")
            }
            try db.execute(sql: "\(Self.replaySQL) WHERE id = ?",
                           arguments: Self.replayArguments(now: now, deadline: deadline) + [messageId])
            return try SQLiteRows.message(try Row.fetchOne(db, sql: """
                SELECT \(SQLiteRows.messageColumns) FROM messages WHERE id = ?
                """, arguments: [messageId])!)
        }
    }
}

extension SQLiteStore {
    public func replayDeadLetters(_ filter: DeadLetterQuery, now: Date, deadline: Date, dryRun: Bool) async throws -> Int {
        let (conditions, arguments) = Self.deadLetterFilter(filter)
        let matching = """
            SELECT m.id FROM messages m JOIN requests r ON r.id = m.request_id WHERE \(conditions.joined(separator: " AND "))
            """
        if dryRun {
            return try await pool.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (\(matching))", arguments: arguments) ?? 0
            }
        }
        return try await committer.write { db in
            try db.execute(sql: "\(Self.replaySQL) WHERE id IN (\(matching))",
                           arguments: Self.replayArguments(now: now, deadline: deadline) + arguments)
            return db.changesCount
        }
    }

    /// What a replay does to a dead letter: due now, a fresh attempt budget, a deadline of at least
    /// `deadline`; its id (idempotency key) and attempt history stay.
    static let replaySQL = """
        UPDATE messages
        SET state = 'pending', due_at = ?, deadline = MAX(deadline, ?), round_start = attempt_count,
            dead_reason = NULL, dead_at = NULL, updated_at = ?
        """

    static func replayArguments(now: Date, deadline: Date) -> StatementArguments {
        [now.timeIntervalSince1970, deadline.timeIntervalSince1970, now.timeIntervalSince1970]
    }

    /// The WHERE terms of the dead-letter filters (over `messages m JOIN requests r`), shared by the list,
    /// the dry run and the bulk replay so the count always matches what is replayed.
    static func deadLetterFilter(_ query: DeadLetterQuery) -> ([String], StatementArguments) {
        var arguments: StatementArguments = []
        let conditions = query.filterTerms.map { term in
            for value in term.values {
                switch value {
                case .text(let text): _ = arguments.append(contentsOf: [text])
                case .seconds(let seconds): _ = arguments.append(contentsOf: [seconds])
                }
            }
            return term.sql
        }
        return (conditions, arguments)
    }
}

/// An opaque position in the dead-letter list: the last item's death time and id.
