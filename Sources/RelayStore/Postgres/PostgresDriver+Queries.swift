import Foundation
import PostgresNIO
import RelayCore
import Synchronization

extension PostgresDriver {
    /// Answers one of the engine's queries in PostgreSQL's dialect; `lock` holds the rows until commit.
    func answer(_ query: StoreQuery, _ connection: PostgresConnection) async throws -> StoreValue {
        switch query {
        case .endpoints:
            return .endpoints(try await rows(Hot.Endpoints.self, connection).map(PostgresRows.endpoint))
        case .endpoint(let idOrName):
            return .endpoint(try await rows("""
                SELECT \(unescaped: StoreColumns.endpointRead) FROM endpoints WHERE id = \(idOrName) OR name = \(idOrName)
                ORDER BY id = \(idOrName) DESC LIMIT 1
                """, connection).first.map(PostgresRows.endpoint))
        case .endpointExists(let id, let lock):
            return .flag(try await !rows("SELECT 1 FROM endpoints WHERE id = \(id)\(unescaped: lock ? " FOR UPDATE" : "")", connection).isEmpty)
        case .endpointNameTaken(let name, let excludingId):
            return .flag(try await !rows("""
                SELECT 1 FROM endpoints WHERE name = \(name) AND id IS DISTINCT FROM \(excludingId)
                """, connection).isEmpty)
        case .activeMessages(let endpointId):
            return .count(try await count("""
                SELECT count(*) FROM messages WHERE endpoint_id = \(endpointId) AND state IN ('pending', 'inflight')
                """, connection))
        case .endpointLoads(let now):
            // The endpoints this instance claims for stay locked until it commits, and SKIP LOCKED passes over
            // those another instance is claiming for: the in-flight counts hold until commit, so each endpoint's
            // concurrency limit holds across instances. NO KEY UPDATE, because a submit inserting a message holds
            // KEY SHARE on its endpoint (the foreign key) until it commits: FOR UPDATE would skip every endpoint
            // that is being submitted to, and starve it under load.
            let endpoints = try await rows("""
                SELECT \(unescaped: StoreColumns.endpointRead) FROM endpoints WHERE enabled FOR NO KEY UPDATE SKIP LOCKED
                """, connection).map(PostgresRows.endpoint)
            var inFlight: [String: Int] = [:]
            if !endpoints.isEmpty {
                for row in try await rows("""
                    SELECT endpoint_id, count(*) FROM messages
                    WHERE endpoint_id = ANY(\(endpoints.map(\.id))) AND state = 'inflight' AND due_at > \(now.timeIntervalSince1970)
                    GROUP BY endpoint_id
                    """, connection) {
                    let (id, count) = try row.decode((String, Int).self)
                    inFlight[id] = count
                }
            }
            return .loads(endpoints.map { EndpointLoad(endpoint: $0, inFlight: inFlight[$0.id, default: 0]) })

        case .idempotencyAnswer(let key):
            return .answer(try await rows(Hot.IdempotencyAnswer.self, connection) { $0.append(key) }.first.map { row in
                let (hash, status, body) = try row.decode((String, Int, Data).self)
                return StoredAnswer(bodyHash: hash, status: status, body: body)
            })
        case .requestWithCorrelationId(let correlationId):
            return .request(try await rows(Hot.RequestWithCorrelationId.self, connection) { $0.append(correlationId) }
                .first.map(PostgresRows.request))
        case .openRequest(let approvalRequestId):
            return .request(try await rows("""
                SELECT \(unescaped: StoreColumns.request) FROM requests
                WHERE approval_request_id = \(approvalRequestId) AND state IN \(unescaped: RequestState.openStatesSQL)
                """, connection).first.map(PostgresRows.request))
        case .request(let lookup, let lock):
            return .request(try await request(connection, lookup, lock: lock))
        case .deliveries(let requestId):
            return .deliveries(try await rows(Hot.Deliveries.self, connection) { $0.append(requestId) }.map { row in
                let (id, endpointId, endpointName, state, attempts, resolutionURL) = try row.decode((String, String?, String, String, Int, String?).self)
                return DeliveryState(messageId: id, endpointId: endpointId, endpointName: endpointName, state: try PostgresRows.decodeEnum(state),
                                     attemptCount: attempts, resolutionURL: resolutionURL)
            })
        case .capability(let hash):
            if let row = try await rows(Hot.Capability.self, connection, { $0.append(hash) }).first {
                return .capability(CapabilityHolder(request: try PostgresRows.request(row),
                                                    endpoint: try row.makeRandomAccess()["delivery_endpoint"].decode(String.self)))
            }
            return .capability(try await request(connection, .callbackTokenHash(hash), lock: false).map { CapabilityHolder(request: $0, endpoint: nil) })
        case .votes(let requestId):
            return .votes(try await rows("""
                SELECT \(unescaped: StoreColumns.vote) FROM votes WHERE request_id = \(requestId) ORDER BY cast_at, endpoint
                """, connection).map(PostgresRows.vote))
        case .dueForEscalation(let now, let limit):
            // SKIP LOCKED: each instance's sweep takes different requests, and none waits on a decision in progress.
            return .requests(try await rows("""
                SELECT \(unescaped: StoreColumns.request) FROM requests
                WHERE state = 'requested' AND next_escalation_at IS NOT NULL AND next_escalation_at <= \(now.timeIntervalSince1970)
                ORDER BY next_escalation_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, connection).map(PostgresRows.request))
        case .endpointsById(let ids):
            return .endpoints(try await rows("""
                SELECT \(unescaped: StoreColumns.endpointRead) FROM endpoints WHERE id = ANY(\(ids))
                """, connection).map(PostgresRows.endpoint))
        case .requestPage(let query):
            var statement = PostgresQuery(unsafeSQL: "SELECT \(StoreColumns.qualified(StoreColumns.request, "r")) FROM requests r")
            let terms = query.filterTerms
            if !terms.isEmpty {
                statement.sql += " WHERE"
                Self.appendFilter(terms, to: &statement)
            }
            statement.sql += " ORDER BY r.created_at DESC, r.id DESC LIMIT \(try statement.bind(query.limit + 1))"
            return .requests(try await rows(statement, connection).map(PostgresRows.request))
        case .timeline(let key):
            return .timeline(try await timeline(connection, key))
        case .dueForExpiry(let now, let limit):
            // SKIP LOCKED: each instance's sweep takes different requests, and none waits on a callback in progress.
            return .requests(try await rows("""
                SELECT \(unescaped: StoreColumns.request) FROM requests
                WHERE state = 'requested' AND deadline <= \(now.timeIntervalSince1970)
                ORDER BY deadline LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, connection).map(PostgresRows.request))

        case .forwardClaimPermit:
            // Forwards have no endpoint row to lock: one instance at a time claims them.
            return .flag(try await rows("SELECT pg_try_advisory_xact_lock(\(PostgresSchema.forwardClaimLockKey))", connection)
                .first?.decode(Bool.self) ?? false)
        case .forwardLoad(let now):
            var load = ForwardLoad()
            for row in try await rows("""
                SELECT COALESCE(sink, 'callback') = 'callback', url, count(*) FROM messages
                WHERE endpoint_id IS NULL AND state = 'inflight' AND due_at > \(now.timeIntervalSince1970)
                GROUP BY 1, 2
                """, connection) {
                let (isCallback, url, busy) = try row.decode((Bool, String, Int).self)
                if isCallback { load.byCallbackURL[url, default: 0] += busy } else { load.controlPlane += busy }
            }
            return .forwardLoad(load)
        case .callbackForwardCandidates(let now, let limit):
            let seconds = now.timeIntervalSince1970
            return .candidates(try await rows("""
                SELECT id, url FROM messages
                WHERE endpoint_id IS NULL AND state IN ('pending', 'inflight') AND due_at <= \(seconds) AND deadline > \(seconds)
                  AND COALESCE(sink, 'callback') = 'callback'
                ORDER BY due_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
                """, connection).map { row in
                let (id, url) = try row.decode((String, String).self)
                return ForwardCandidate(id: id, url: url)
            })
        case .liveDeliveries(let requestId, let excluding):
            return .count(try await count("""
                SELECT count(*) FROM messages
                WHERE request_id = \(requestId) AND purpose = 'delivery' AND id <> \(excluding)
                  AND state IN ('pending', 'inflight', 'delivered')
                """, connection))
        case .nextDueAt:
            return .time(try await rows("""
                SELECT MIN(m.due_at) FROM messages m LEFT JOIN endpoints e ON e.id = m.endpoint_id
                WHERE m.state IN ('pending', 'inflight') AND (m.endpoint_id IS NULL OR e.enabled)
                """, connection).first?.decode(Double?.self).map(PostgresRows.date))
        case .message(let id):
            return .message(try await rows("SELECT \(unescaped: StoreColumns.message) FROM messages WHERE id = \(id)", connection)
                .first.map(PostgresRows.message))
        case .messageState(let id, let lock):
            return .messageState(try await rows("SELECT state FROM messages WHERE id = \(id)\(unescaped: lock ? " FOR UPDATE" : "")", connection)
                .first.map { try $0.decode(String.self) }.flatMap(MessageState.init))

        case .deadLetters(let filter):
            return .deadLetters(try await deadLetters(connection, filter))
        case .deadLetterCount(let filter):
            var statement = PostgresQuery(unsafeSQL: "SELECT count(*) FROM messages m JOIN requests r ON r.id = m.request_id WHERE")
            Self.appendDeadLetterFilter(filter, to: &statement)
            return .count(try await rows(statement, connection).first?.decode(Int.self) ?? 0)
        case .outboxCounts:
            var counts = OutboxCounts.zero
            for row in try await rows(PostgresQuery(unsafeSQL: OutboxCounts.groupedSQL), connection) {
                let (state, reason, count) = try row.decode((String, String?, Int).self)
                counts.add(state: state, reason: reason, count: count)
            }
            for purpose in MessagePurpose.allCases {
                var bindings = PostgresBindings()
                bindings.append(purpose.rawValue)
                let query = PostgresQuery(unsafeSQL: OutboxCounts.oldestPendingSQL.replacingOccurrences(of: "?", with: "$1"), binds: bindings)
                if let oldest = try await rows(query, connection).first?.decode(Double?.self) {
                    counts.oldestPending[purpose] = PostgresRows.date(oldest)
                }
            }
            return .outboxCounts(counts)
        case .activity(let since):
            var summary = ActivitySummary()
            for row in try await rows(PostgresQuery(unsafeSQL: ActivityQueries.requestsByState), connection) {
                let (state, count) = try row.decode((String, Int).self)
                summary.requestsByState[state] = count
            }
            var bindings = PostgresBindings()
            bindings.append(since.timeIntervalSince1970)
            let attempts = PostgresQuery(unsafeSQL: ActivityQueries.attemptsByEndpoint.replacingOccurrences(of: "?", with: "$1"), binds: bindings)
            for row in try await rows(attempts, connection) {
                let (endpoint, outcome, count) = try row.decode((String, String, Int).self)
                summary.addAttempts(endpoint: endpoint, outcome: outcome, count: count)
            }
            let failures = PostgresQuery(unsafeSQL: ActivityQueries.lastFailureByEndpoint.replacingOccurrences(of: "?", with: "$1"), binds: bindings)
            for row in try await rows(failures, connection) {
                let (endpoint, error, status, at) = try row.decode((String, String?, Int?, Double).self)
                summary.addLastFailure(endpoint: endpoint, error: error, status: status, at: at)
            }
            return .activity(summary)
        case .purgeCandidates(let cutoff, let limit):
            // SKIP LOCKED: a request a callback is deciding right now waits for the next sweep.
            return .ids(try await rows("""
                SELECT r.id FROM requests r
                WHERE r.state <> 'requested' AND r.updated_at < \(cutoff.timeIntervalSince1970)
                  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.request_id = r.id AND m.state IN ('pending', 'inflight'))
                ORDER BY r.updated_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
                """, connection).map { try $0.decode(String.self) })
        case .sessionRevoked(let nonce):
            return .flag(try await !rows("SELECT 1 FROM console_revocations WHERE nonce = \(nonce)", connection).isEmpty)
        case .minuteActivity(let since):
            var activity = MinuteActivity()
            var bindings = PostgresBindings()
            bindings.append(since.timeIntervalSince1970)
            func statement(_ sql: String) -> PostgresQuery { PostgresQuery(unsafeSQL: sql.replacingOccurrences(of: "?", with: "$1"), binds: bindings) }
            for row in try await rows(statement(MinuteActivity.attemptsSQL), connection) {
                let (minute, outcome, count) = try row.decode((Int, String, Int).self)
                activity.addAttempts(minute: minute, outcome: outcome, count: count)
            }
            for row in try await rows(statement(MinuteActivity.deadSQL), connection) {
                let (minute, count) = try row.decode((Int, Int).self)
                activity.addDead(minute: minute, count: count)
            }
            for row in try await rows(statement(MinuteActivity.latencySQL), connection) {
                let (minute, bucket, count) = try row.decode((Int, Int, Int).self)
                activity.addLatency(minute: minute, bucket: bucket, count: count)
            }
            return .minuteActivity(activity)

        case .auditHead:
            guard let row = try await rows("SELECT seq, hash FROM audit_head WHERE id = 1", connection).first else {
                throw StoreError.auditHeadMissing
            }
            let (seq, hash) = try row.decode((Int64, String).self)
            return .auditHead(AuditHead(seq: seq, hash: hash))
        case .auditEntries(let query):
            var statement = PostgresQuery(unsafeSQL: "SELECT \(StoreColumns.audit) FROM audit_log WHERE")
            Self.appendFilter(query.filterTerms, to: &statement)
            statement.sql += " ORDER BY seq LIMIT \(try statement.bind(query.limit))"
            return .auditEntries(try await rows(statement, connection).map(PostgresRows.auditEntry))
        }
    }

    func rows(_ query: PostgresQuery, _ connection: PostgresConnection) async throws -> [PostgresRow] {
        statementsSent.add(1, ordering: .relaxed)
        return try await connection.query(query, logger: logger).collect()
    }

    func count(_ query: PostgresQuery, _ connection: PostgresConnection) async throws -> Int {
        try await rows(query, connection).first?.decode(Int.self) ?? 0
    }

    func request(_ connection: PostgresConnection, _ lookup: RequestLookup, lock: Bool) async throws -> RelayRequest? {
        let suffix = lock ? " FOR UPDATE" : ""
        let query: PostgresQuery
        switch lookup {
        case .id(let id):
            let found = lock ? try await rows(Hot.RequestByIdLocked.self, connection) { $0.append(id) }
                : try await rows(Hot.RequestById.self, connection) { $0.append(id) }
            return try found.first.map(PostgresRows.request)
        case .callbackTokenHash(let hash):
            query = "SELECT \(unescaped: StoreColumns.request) FROM requests WHERE callback_token_hash = \(hash)\(unescaped: suffix)"
        case .correlationId(let id, let kind):
            query = """
                SELECT \(unescaped: StoreColumns.request) FROM requests
                WHERE correlation_id = \(id) AND (\(kind?.rawValue)::text IS NULL OR kind = \(kind?.rawValue))\(unescaped: suffix)
                """
        case .idOrCorrelationId(let key):
            // The id first: a correlation id that happens to equal another request's id names that request.
            query = """
                SELECT \(unescaped: StoreColumns.request) FROM requests WHERE id = \(key) OR correlation_id = \(key)
                ORDER BY id = \(key) DESC LIMIT 1\(unescaped: suffix)
                """
        case .approvalRequestId(let id):
            query = """
                SELECT \(unescaped: StoreColumns.request) FROM requests WHERE approval_request_id = \(id)
                ORDER BY state IN \(unescaped: RequestState.openStatesSQL) DESC, created_at DESC LIMIT 1\(unescaped: suffix)
                """
        }
        return try await rows(query, connection).first.map(PostgresRows.request)
    }

    func timeline(_ connection: PostgresConnection, _ key: String) async throws -> RequestTimeline? {
        guard let row = try await rows("""
            SELECT \(unescaped: StoreColumns.request) FROM requests WHERE id = \(key) OR correlation_id = \(key)
            ORDER BY id = \(key) DESC LIMIT 1
            """, connection).first else { return nil }
        let request = try PostgresRows.request(row)
        let messages = try await rows("""
            SELECT \(unescaped: StoreColumns.message) FROM messages WHERE request_id = \(request.id) ORDER BY created_at, id
            """, connection).map(PostgresRows.message)
        let attempts = try await rows("""
            SELECT a.* FROM attempts a JOIN messages m ON m.id = a.message_id WHERE m.request_id = \(request.id) ORDER BY a.id
            """, connection).map(PostgresRows.attempt)
        let byMessage = Dictionary(grouping: attempts, by: \.messageId)
        let callbacks = try await rows("""
            SELECT \(unescaped: StoreColumns.callbackEvent) FROM callback_events WHERE request_id = \(request.id) ORDER BY id
            """, connection).map { row in
            let (at, path, decision, outcome, endpoint, actor, state, excerpt) =
                try row.decode((Double, String, String, String, String?, String?, String, String?).self)
            return CallbackRecord(path: path, receivedAt: PostgresRows.date(at), decision: decision,
                                  outcome: CallbackRecord.Outcome(rawValue: outcome) ?? .ignored, endpoint: endpoint, actor: actor,
                                  state: RequestState(rawValue: state) ?? .requested, excerpt: excerpt)
        }
        let votes = try await rows("""
            SELECT \(unescaped: StoreColumns.vote) FROM votes WHERE request_id = \(request.id) ORDER BY cast_at, endpoint
            """, connection).map(PostgresRows.vote)
        let audit = try await rows("""
            SELECT \(unescaped: StoreColumns.audit) FROM audit_log WHERE request_id = \(request.id) ORDER BY seq
            """, connection).map(PostgresRows.auditEntry)
        return RequestTimeline(request: request, messages: messages.map { MessageTimeline(message: $0, attempts: byMessage[$0.id] ?? []) },
                               callbacks: callbacks, votes: votes, audit: audit)
    }

    func deadLetters(_ connection: PostgresConnection, _ query: DeadLetterQuery) async throws -> [DeadLetter] {
        var statement = PostgresQuery(unsafeSQL: """
            SELECT \(StoreColumns.qualified(StoreColumns.message, "m")), m.dead_at, r.kind, r.correlation_id
            FROM messages m JOIN requests r ON r.id = m.request_id WHERE
            """)
        Self.appendDeadLetterFilter(query, to: &statement)
        if let cursor = query.cursor.flatMap(DeadLetterCursor.init) {
            statement.sql += " AND (m.dead_at < \(try statement.bind(cursor.deadAt)) OR (m.dead_at = \(try statement.bind(cursor.deadAt)) AND m.id < \(try statement.bind(cursor.id))))"
        }
        statement.sql += " ORDER BY m.dead_at DESC, m.id DESC LIMIT \(try statement.bind(query.limit + 1))"
        let found = try await rows(statement, connection)
        return try found.map { row in
            let access = row.makeRandomAccess()
            return DeadLetter(
                message: try PostgresRows.message(access), kind: try PostgresRows.decodeEnum(access["kind"].decode(String.self)),
                correlationId: try access["correlation_id"].decode(String.self),
                deadAt: PostgresRows.date(try access["dead_at"].decode(Double.self))
            )
        }
    }

    /// Appends the dead-letter filters (`DeadLetterQuery.filterTerms`) as WHERE terms, binding their values.
    static func appendDeadLetterFilter(_ query: DeadLetterQuery, to statement: inout PostgresQuery) {
        appendFilter(query.filterTerms, to: &statement)
    }

    /// Appends filter terms (each `?` standing for its next value) as WHERE terms, binding their values.
    static func appendFilter(_ filterTerms: [(sql: String, values: [DeadLetterQuery.FilterValue])], to statement: inout PostgresQuery) {
        // Binding strings and numbers cannot fail.
        let terms = filterTerms.map { term in
            var values = term.values.makeIterator()
            return term.sql.split(separator: "?", omittingEmptySubsequences: false).enumerated().map { index, piece in
                guard index > 0, let value = values.next() else { return String(piece) }
                switch value {
                case .text(let text): return try! statement.bind(text) + piece
                case .seconds(let seconds): return try! statement.bind(seconds) + piece
                case .integer(let number): return try! statement.bind(number) + piece
                }
            }.joined()
        }
        statement.sql += " " + terms.joined(separator: " AND ")
    }
}
