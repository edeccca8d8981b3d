import Foundation
import PostgresNIO
import RelayCore

extension PostgresStore {
    public func deadLetters(_ query: DeadLetterQuery) async throws -> DeadLetterPage {
        var statement = PostgresQuery(unsafeSQL: """
            SELECT \(StoreColumns.qualified(StoreColumns.message, "m")), m.dead_at, r.kind, r.correlation_id
            FROM messages m JOIN requests r ON r.id = m.request_id WHERE
            """)
        Self.appendDeadLetterFilter(query, to: &statement)
        if let cursor = query.cursor.flatMap(DeadLetterCursor.init) {
            statement.sql += " AND (m.dead_at < \(try statement.bind(cursor.deadAt)) OR (m.dead_at = \(try statement.bind(cursor.deadAt)) AND m.id < \(try statement.bind(cursor.id))))"
        }
        statement.sql += " ORDER BY m.dead_at DESC, m.id DESC LIMIT \(try statement.bind(query.limit + 1))"
        let rows = try await read { [statement] connection in
            try await connection.query(statement, logger: self.logger).collect()
        }
        let items = try rows.prefix(query.limit).map { row in
            let access = row.makeRandomAccess()
            return DeadLetter(
                message: try PostgresRows.message(access), kind: try PostgresRows.decodeEnum(access["kind"].decode(String.self)),
                correlationId: try access["correlation_id"].decode(String.self),
                deadAt: PostgresRows.date(try access["dead_at"].decode(Double.self))
            )
        }
        let next = rows.count > query.limit ? items.last.map {
            DeadLetterCursor(deadAt: $0.deadAt.timeIntervalSince1970, id: $0.message.id).encoded
        } : nil
        return DeadLetterPage(items: items, nextCursor: next)
    }

    public func replay(messageId: String, now: Date, deadline: Date) async throws -> Message {
        try await transaction { connection in
            guard let row = try await connection.query("SELECT state FROM messages WHERE id = \(messageId) FOR UPDATE",
                                                       logger: self.logger).collect().first else {
                throw StoreError.notFound("no message \(messageId)")
            }
            let state = try row.decode(String.self)
            guard state == MessageState.dead.rawValue else {
                throw StoreError.conflict("message \(messageId) is \(state), not dead: only dead letters can be replayed")
            }
            var statement = try Self.replayStatement(now: now, deadline: deadline)
            statement.sql += " WHERE id = \(try statement.bind(messageId)) RETURNING \(StoreColumns.message)"
            let replayed = try await connection.query(statement, logger: self.logger).collect()
            try await self.notifyDue(connection)
            return try PostgresRows.message(replayed[0])
        }
    }

    public func replayDeadLetters(_ filter: DeadLetterQuery, now: Date, deadline: Date, dryRun: Bool) async throws -> Int {
        if dryRun {
            var count = PostgresQuery(unsafeSQL: "SELECT count(*) FROM messages m JOIN requests r ON r.id = m.request_id WHERE")
            Self.appendDeadLetterFilter(filter, to: &count)
            return try await read { [count] connection in
                try await connection.query(count, logger: self.logger).collect().first?.decode(Int.self) ?? 0
            }
        }
        var statement = try Self.replayStatement(now: now, deadline: deadline)
        statement.sql += " WHERE id IN (SELECT m.id FROM messages m JOIN requests r ON r.id = m.request_id WHERE"
        Self.appendDeadLetterFilter(filter, to: &statement)
        statement.sql += ") RETURNING 1"
        return try await transaction { [statement] connection in
            let count = try await connection.query(statement, logger: self.logger).collect().count
            if count > 0 { try await self.notifyDue(connection) }
            return count
        }
    }

    /// What a replay does to a dead letter (the same as the SQLite store's `replaySQL`).
    static func replayStatement(now: Date, deadline: Date) throws -> PostgresQuery {
        var statement = PostgresQuery(unsafeSQL: "")
        statement.sql = """
            UPDATE messages
            SET state = 'pending', due_at = \(try statement.bind(now.timeIntervalSince1970)),
                deadline = GREATEST(deadline, \(try statement.bind(deadline.timeIntervalSince1970))), round_start = attempt_count,
                dead_reason = NULL, dead_at = NULL, updated_at = \(try statement.bind(now.timeIntervalSince1970))
            """
        return statement
    }

    /// Appends the dead-letter filters as WHERE terms over `messages m JOIN requests r`: one builder for the
    /// list, the dry run and the bulk replay, so the count always matches what is replayed.
    static func appendDeadLetterFilter(_ query: DeadLetterQuery, to statement: inout PostgresQuery) {
        // Binding strings and doubles cannot fail.
        let terms = query.filterTerms.map { term in
            var values = term.values.makeIterator()
            return term.sql.split(separator: "?", omittingEmptySubsequences: false).enumerated().map { index, piece in
                guard index > 0, let value = values.next() else { return String(piece) }
                switch value {
                case .text(let text): return try! statement.bind(text) + piece
                case .seconds(let seconds): return try! statement.bind(seconds) + piece
                }
            }.joined()
        }
        statement.sql += " " + terms.joined(separator: " AND ")
    }
}

extension PostgresQuery {
    /// Appends `value` to the binds and returns its placeholder, for statements built piece by piece.
    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) throws -> String {
        try binds.append(value)
        return "$\(binds.count)"
    }
}
