import Foundation
import GRDB
import RelayCore

extension SQLiteDriver {
    /// Answers one of the engine's queries in SQLite's dialect. `lock` needs nothing here: the writer is single.
    static func answer(_ query: StoreQuery, _ db: Database) throws -> StoreValue {
        switch query {
        case .endpoints:
            return .endpoints(try Row.fetchAllCached(db, sql: "SELECT \(StoreColumns.endpointRead) FROM endpoints ORDER BY name")
                .map(SQLiteRows.endpoint))
        case .endpoint(let idOrName):
            return .endpoint(try Row.fetchOneCached(db, sql: """
                SELECT \(StoreColumns.endpointRead) FROM endpoints WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1
                """, arguments: [idOrName, idOrName, idOrName]).map(SQLiteRows.endpoint))
        case .endpointExists(let id, _):
            return .flag(try Int.fetchOneCached(db, sql: "SELECT 1 FROM endpoints WHERE id = ?", arguments: [id]) != nil)
        case .endpointNameTaken(let name, let excludingId):
            return .flag(try Int.fetchOneCached(db, sql: "SELECT 1 FROM endpoints WHERE name = ? AND id IS NOT ?",
                                                arguments: [name, excludingId]) != nil)
        case .activeMessages(let endpointId):
            return .count(try Int.fetchOneCached(db, sql: """
                SELECT COUNT(*) FROM messages WHERE endpoint_id = ? AND state IN ('pending', 'inflight')
                """, arguments: [endpointId]) ?? 0)
        case .endpointLoads(let now):
            // The redundant IN term lets SQLite use the partial index messages_active: its planner does not
            // see that state = 'inflight' implies the index's WHERE, and would scan the whole table. One count
            // per endpoint reads only its leases, never the backlog that is due.
            return .loads(try Row.fetchAllCached(db, sql: "SELECT \(StoreColumns.endpointRead) FROM endpoints WHERE enabled = 1")
                .map { row in
                    let endpoint = try SQLiteRows.endpoint(row)
                    let inFlight = try Int.fetchOneCached(db, sql: """
                        SELECT COUNT(*) FROM messages
                        WHERE endpoint_id = ? AND state IN ('pending', 'inflight') AND state = 'inflight' AND due_at > ?
                        """, arguments: [endpoint.id, now.timeIntervalSince1970]) ?? 0
                    return EndpointLoad(endpoint: endpoint, inFlight: inFlight)
                })

        case .idempotencyAnswer(let key):
            return .answer(try Row.fetchOneCached(db, sql: """
                SELECT body_hash, response_status, response_body FROM idempotency_keys WHERE key = ?
                """, arguments: [key]).map { StoredAnswer(bodyHash: $0["body_hash"], status: $0["response_status"], body: $0["response_body"]) })
        case .requestWithCorrelationId(let correlationId):
            return .request(try Row.fetchOneCached(db, sql: "SELECT \(StoreColumns.request) FROM requests WHERE correlation_id = ?",
                                                   arguments: [correlationId]).map(SQLiteRows.request))
        case .openRequest(let approvalRequestId):
            return .request(try Row.fetchOneCached(db, sql: """
                SELECT \(StoreColumns.request) FROM requests WHERE approval_request_id = ? AND state IN \(RequestState.openStatesSQL)
                """, arguments: [approvalRequestId]).map(SQLiteRows.request))
        case .request(let lookup, _):
            return .request(try request(db, lookup))
        case .deliveries(let requestId):
            return .deliveries(try Row.fetchAllCached(db, sql: """
                SELECT m.id, m.endpoint_id, m.endpoint_name, m.state, m.attempt_count,
                       json_extract(e.settings, '$.resolution_url') AS resolution_url
                FROM messages m LEFT JOIN endpoints e ON e.id = m.endpoint_id
                WHERE m.request_id = ? AND m.purpose = 'delivery' ORDER BY m.created_at, m.id
                """, arguments: [requestId]).map { row in
                DeliveryState(messageId: row["id"], endpointId: row["endpoint_id"], endpointName: row["endpoint_name"],
                              state: try SQLiteRows.decodeEnum(row["state"]), attemptCount: row["attempt_count"],
                              resolutionURL: row["resolution_url"])
            })
        case .capability(let hash):
            if let row = try Row.fetchOneCached(db, sql: """
                SELECT \(StoreColumns.qualified(StoreColumns.request, "r")), m.endpoint_name AS delivery_endpoint
                FROM messages m JOIN requests r ON r.id = m.request_id WHERE m.callback_token_hash = ?
                """, arguments: [hash]) {
                return .capability(CapabilityHolder(request: try SQLiteRows.request(row), endpoint: row["delivery_endpoint"]))
            }
            return .capability(try request(db, .callbackTokenHash(hash)).map { CapabilityHolder(request: $0, endpoint: nil) })
        case .votes(let requestId):
            return .votes(try Row.fetchAllCached(db, sql: "SELECT \(StoreColumns.vote) FROM votes WHERE request_id = ? ORDER BY cast_at, endpoint",
                                                 arguments: [requestId]).map(SQLiteRows.vote))
        case .dueForEscalation(let now, let limit):
            return .requests(try Row.fetchAllCached(db, sql: """
                SELECT \(StoreColumns.request) FROM requests
                WHERE state = 'requested' AND next_escalation_at IS NOT NULL AND next_escalation_at <= ? ORDER BY next_escalation_at LIMIT ?
                """, arguments: [now.timeIntervalSince1970, limit]).map(SQLiteRows.request))
        case .endpointsById(let ids):
            guard !ids.isEmpty else { return .endpoints([]) }
            return .endpoints(try Row.fetchAll(db, sql: """
                SELECT \(StoreColumns.endpointRead) FROM endpoints WHERE id IN (\(databaseQuestionMarks(count: ids.count)))
                """, arguments: StatementArguments(ids)).map(SQLiteRows.endpoint))
        case .requestPage(let query):
            var (terms, arguments) = filter(query.filterTerms)
            _ = arguments.append(contentsOf: [query.limit + 1])
            return .requests(try Row.fetchAll(db, sql: """
                SELECT \(StoreColumns.qualified(StoreColumns.request, "r")) FROM requests r
                \(terms.isEmpty ? "" : "WHERE \(terms)") ORDER BY r.created_at DESC, r.id DESC LIMIT ?
                """, arguments: arguments).map(SQLiteRows.request))
        case .timeline(let key):
            return .timeline(try timeline(db, key))
        case .dueForExpiry(let now, let limit):
            return .requests(try Row.fetchAllCached(db, sql: """
                SELECT \(StoreColumns.request) FROM requests WHERE state = 'requested' AND deadline <= ? ORDER BY deadline LIMIT ?
                """, arguments: [now.timeIntervalSince1970, limit]).map(SQLiteRows.request))

        case .forwardClaimPermit:
            return .flag(true)
        case .forwardLoad(let now):
            var load = ForwardLoad()
            for row in try Row.fetchAllCached(db, sql: """
                SELECT COALESCE(sink, 'callback') = 'callback' AS is_callback, url, COUNT(*) AS busy FROM messages
                WHERE endpoint_id IS NULL AND state IN ('pending', 'inflight') AND state = 'inflight' AND due_at > ?
                GROUP BY 1, 2
                """, arguments: [now.timeIntervalSince1970]) {
                if row["is_callback"] as Bool { load.byCallbackURL[row["url"], default: 0] += row["busy"] as Int }
                else { load.controlPlane += row["busy"] as Int }
            }
            return .forwardLoad(load)
        case .callbackForwardCandidates(let now, let limit):
            return .candidates(try Row.fetchAllCached(db, sql: """
                SELECT id, url FROM messages
                WHERE endpoint_id IS NULL AND state IN ('pending', 'inflight') AND due_at <= ? AND deadline > ?
                  AND COALESCE(sink, 'callback') = 'callback'
                ORDER BY due_at LIMIT ?
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, limit])
                .map { ForwardCandidate(id: $0["id"], url: $0["url"]) })
        case .liveDeliveries(let requestId, let excluding):
            return .count(try Int.fetchOneCached(db, sql: """
                SELECT COUNT(*) FROM messages
                WHERE request_id = ? AND purpose = 'delivery' AND id <> ? AND state IN ('pending', 'inflight', 'delivered')
                """, arguments: [requestId, excluding]) ?? 0)
        case .nextDueAt:
            return .time(try Double.fetchOneCached(db, sql: """
                SELECT MIN(m.due_at) FROM messages m LEFT JOIN endpoints e ON e.id = m.endpoint_id
                WHERE m.state IN ('pending', 'inflight') AND (m.endpoint_id IS NULL OR e.enabled = 1)
                """).map(SQLiteRows.date))
        case .message(let id):
            return .message(try Row.fetchOneCached(db, sql: "SELECT \(StoreColumns.message) FROM messages WHERE id = ?", arguments: [id])
                .map(SQLiteRows.message))
        case .messageState(let id, _):
            return .messageState(try String.fetchOneCached(db, sql: "SELECT state FROM messages WHERE id = ?", arguments: [id])
                .flatMap(MessageState.init))

        case .deadLetters(let filter):
            return .deadLetters(try deadLetters(db, filter))
        case .deadLetterCount(let filter):
            let (terms, arguments) = deadLetterFilter(filter)
            return .count(try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM messages m JOIN requests r ON r.id = m.request_id WHERE \(terms)
                """, arguments: arguments) ?? 0)
        case .outboxCounts:
            var counts = OutboxCounts.zero
            for row in try Row.fetchAll(db, sql: OutboxCounts.groupedSQL) { counts.add(state: row[0], reason: row[1], count: row[2]) }
            for purpose in MessagePurpose.allCases {
                if let oldest = try Double.fetchOneCached(db, sql: OutboxCounts.oldestPendingSQL, arguments: [purpose.rawValue]) {
                    counts.oldestPending[purpose] = SQLiteRows.date(oldest)
                }
            }
            return .outboxCounts(counts)
        case .activity(let since):
            var summary = ActivitySummary()
            for row in try Row.fetchAll(db, sql: ActivityQueries.requestsByState) { summary.requestsByState[row[0]] = row[1] }
            let cutoff = since.timeIntervalSince1970
            for row in try Row.fetchAll(db, sql: ActivityQueries.attemptsByEndpoint, arguments: [cutoff]) {
                summary.addAttempts(endpoint: row[0], outcome: row[1], count: row[2])
            }
            for row in try Row.fetchAll(db, sql: ActivityQueries.lastFailureByEndpoint, arguments: [cutoff]) {
                summary.addLastFailure(endpoint: row[0], error: row[1], status: row[2], at: row[3])
            }
            return .activity(summary)
        case .purgeCandidates(let cutoff, let limit):
            // `requests_decided` holds only decided requests, so this reads the oldest first without a scan.
            return .ids(try String.fetchAll(db, sql: """
                SELECT r.id FROM requests r
                WHERE r.state <> 'requested' AND r.updated_at < ?
                  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.request_id = r.id AND m.state IN ('pending', 'inflight'))
                ORDER BY r.updated_at LIMIT ?
                """, arguments: [cutoff.timeIntervalSince1970, limit]))
        case .sessionRevoked(let nonce):
            return .flag(try Int.fetchOneCached(db, sql: "SELECT 1 FROM console_revocations WHERE nonce = ?", arguments: [nonce]) != nil)
        case .minuteActivity(let since):
            var activity = MinuteActivity()
            let cutoff = since.timeIntervalSince1970
            for row in try Row.fetchAll(db, sql: MinuteActivity.attemptsSQL, arguments: [cutoff]) {
                activity.addAttempts(minute: row[0], outcome: row[1], count: row[2])
            }
            for row in try Row.fetchAll(db, sql: MinuteActivity.deadSQL, arguments: [cutoff]) { activity.addDead(minute: row[0], count: row[1]) }
            for row in try Row.fetchAll(db, sql: MinuteActivity.latencySQL, arguments: [cutoff]) {
                activity.addLatency(minute: row[0], bucket: row[1], count: row[2])
            }
            return .minuteActivity(activity)

        case .auditHead:
            return .auditHead(try SQLiteRows.auditHead(db))
        case .auditEntries(let query):
            var (terms, arguments) = filter(query.filterTerms)
            _ = arguments.append(contentsOf: [query.limit])
            return .auditEntries(try Row.fetchAll(db, sql: "SELECT \(StoreColumns.audit) FROM audit_log WHERE \(terms) ORDER BY seq LIMIT ?",
                                                  arguments: arguments).map(SQLiteRows.auditEntry))
        }
    }

    static func request(_ db: Database, _ lookup: RequestLookup) throws -> RelayRequest? {
        let select = "SELECT \(StoreColumns.request) FROM requests"
        let row: Row?
        switch lookup {
        case .id(let id):
            row = try Row.fetchOneCached(db, sql: "\(select) WHERE id = ?", arguments: [id])
        case .callbackTokenHash(let hash):
            row = try Row.fetchOneCached(db, sql: "\(select) WHERE callback_token_hash = ?", arguments: [hash])
        case .correlationId(let id, let kind):
            row = try Row.fetchOneCached(db, sql: "\(select) WHERE correlation_id = ? AND (? IS NULL OR kind = ?)",
                                         arguments: [id, kind?.rawValue, kind?.rawValue])
        case .idOrCorrelationId(let key):
            row = try Row.fetchOneCached(db, sql: "\(select) WHERE id = ? OR correlation_id = ? ORDER BY id = ? DESC LIMIT 1",
                                         arguments: [key, key, key])
        case .approvalRequestId(let id):
            row = try Row.fetchOneCached(db, sql: """
                \(select) WHERE approval_request_id = ? ORDER BY state IN \(RequestState.openStatesSQL) DESC, created_at DESC LIMIT 1
                """, arguments: [id])
        }
        return try row.map(SQLiteRows.request)
    }

    static func timeline(_ db: Database, _ key: String) throws -> RequestTimeline? {
        guard let row = try Row.fetchOneCached(db, sql: """
            SELECT \(StoreColumns.request) FROM requests WHERE id = ? OR correlation_id = ? ORDER BY id = ? DESC LIMIT 1
            """, arguments: [key, key, key]) else { return nil }
        let request = try SQLiteRows.request(row)
        let messages = try Row.fetchAllCached(db, sql: """
            SELECT \(StoreColumns.message) FROM messages WHERE request_id = ? ORDER BY created_at, id
            """, arguments: [request.id]).map(SQLiteRows.message)
        let attempts = try Row.fetchAllCached(db, sql: """
            SELECT a.* FROM attempts a JOIN messages m ON m.id = a.message_id WHERE m.request_id = ? ORDER BY a.id
            """, arguments: [request.id]).map(SQLiteRows.attempt)
        let byMessage = Dictionary(grouping: attempts, by: \.messageId)
        let callbacks = try Row.fetchAllCached(db, sql: """
            SELECT \(StoreColumns.callbackEvent) FROM callback_events WHERE request_id = ? ORDER BY id
            """, arguments: [request.id]).map { row in
            CallbackRecord(path: row["path"], receivedAt: SQLiteRows.date(row["received_at"]), decision: row["decision"],
                           outcome: CallbackRecord.Outcome(rawValue: row["outcome"]) ?? .ignored, endpoint: row["endpoint"],
                           actor: row["actor"], state: RequestState(rawValue: row["state"]) ?? .requested, excerpt: row["excerpt"])
        }
        let votes = try Row.fetchAllCached(db, sql: "SELECT \(StoreColumns.vote) FROM votes WHERE request_id = ? ORDER BY cast_at, endpoint",
                                           arguments: [request.id]).map(SQLiteRows.vote)
        let audit = try Row.fetchAllCached(db, sql: "SELECT \(StoreColumns.audit) FROM audit_log WHERE request_id = ? ORDER BY seq",
                                           arguments: [request.id]).map(SQLiteRows.auditEntry)
        return RequestTimeline(request: request, messages: messages.map { MessageTimeline(message: $0, attempts: byMessage[$0.id] ?? []) },
                               callbacks: callbacks, votes: votes, audit: audit)
    }

    static func deadLetters(_ db: Database, _ query: DeadLetterQuery) throws -> [DeadLetter] {
        var (terms, arguments) = deadLetterFilter(query)
        if let cursor = query.cursor.flatMap(DeadLetterCursor.init) {
            terms += " AND (m.dead_at < ? OR (m.dead_at = ? AND m.id < ?))"
            _ = arguments.append(contentsOf: [cursor.deadAt, cursor.deadAt, cursor.id])
        }
        _ = arguments.append(contentsOf: [query.limit + 1])
        let rows = try Row.fetchAll(db, sql: """
            SELECT \(StoreColumns.qualified(StoreColumns.message, "m")), m.dead_at, r.kind, r.correlation_id
            FROM messages m JOIN requests r ON r.id = m.request_id
            WHERE \(terms) ORDER BY m.dead_at DESC, m.id DESC LIMIT ?
            """, arguments: arguments)
        return try rows.map { row in
            DeadLetter(message: try SQLiteRows.message(row), kind: try SQLiteRows.decodeEnum(row["kind"]),
                       correlationId: row["correlation_id"], deadAt: SQLiteRows.date(row["dead_at"]))
        }
    }

    /// The dead-letter filters (`DeadLetterQuery.filterTerms`) as one WHERE clause with its arguments.
    static func deadLetterFilter(_ query: DeadLetterQuery) -> (String, StatementArguments) {
        filter(query.filterTerms)
    }

    /// Filter terms (each `?` standing for its next value) as one WHERE clause with its arguments.
    static func filter(_ filterTerms: [(sql: String, values: [DeadLetterQuery.FilterValue])]) -> (String, StatementArguments) {
        var arguments: StatementArguments = []
        let terms = filterTerms.map { term in
            for value in term.values {
                switch value {
                case .text(let text): _ = arguments.append(contentsOf: [text])
                case .seconds(let seconds): _ = arguments.append(contentsOf: [seconds])
                case .integer(let number): _ = arguments.append(contentsOf: [number])
                }
            }
            return term.sql
        }
        return (terms.joined(separator: " AND "), arguments)
    }
}
