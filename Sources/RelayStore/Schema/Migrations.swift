import Foundation

/// The versioned schema of both stores: one list, so that SQLite and PostgreSQL cannot drift apart
/// (SchemaParityTests compares what each ends with). Statements are portable SQL; where the dialects'
/// types differ a token stands in (`SQLDialect.types`). Append migrations; never edit a shipped one:
/// a database records a version once and never runs it again.
public enum Migrations {
    public static let all: [Migration] = [
        Migration("v1-outbox", [
            """
            CREATE TABLE endpoints (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL,
                url TEXT NOT NULL,
                secrets TEXT NOT NULL,
                headers TEXT NOT NULL,
                tools TEXT NOT NULL,
                max_attempts INTEGER,
                timeout_ms INTEGER,
                concurrency INTEGER NOT NULL,
                enabled {bool} NOT NULL,
                disabled_reason TEXT,
                created_at {real} NOT NULL,
                updated_at {real} NOT NULL
            )
            """,
            """
            CREATE TABLE requests (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                correlation_id TEXT NOT NULL UNIQUE,
                approval_request_id {bigint},
                tool TEXT NOT NULL,
                state TEXT NOT NULL,
                payload {blob} NOT NULL,
                callback_url TEXT,
                deadline {real} NOT NULL,
                decision_reason TEXT,
                decided_at {real},
                created_at {real} NOT NULL,
                updated_at {real} NOT NULL
            )
            """,
            "CREATE INDEX requests_by_approval_request_id ON requests(approval_request_id)",
            """
            CREATE TABLE idempotency_keys (
                key TEXT PRIMARY KEY,
                body_hash TEXT NOT NULL,
                request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                response_status INTEGER NOT NULL,
                response_body {blob} NOT NULL,
                created_at {real} NOT NULL
            )
            """,
            """
            CREATE TABLE messages (
                id TEXT PRIMARY KEY,
                request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                endpoint_id TEXT REFERENCES endpoints(id) ON DELETE SET NULL,
                endpoint_name TEXT NOT NULL,
                purpose TEXT NOT NULL,
                url TEXT NOT NULL,
                body {blob} NOT NULL,
                state TEXT NOT NULL,
                attempt_count INTEGER NOT NULL DEFAULT 0,
                round_start INTEGER NOT NULL DEFAULT 0,
                due_at {real} NOT NULL,
                deadline {real} NOT NULL,
                lease_owner TEXT,
                lease_token {bigint} NOT NULL DEFAULT 0,
                dead_reason TEXT,
                dead_at {real},
                last_error TEXT,
                created_at {real} NOT NULL,
                updated_at {real} NOT NULL
            )
            """,
            "CREATE INDEX messages_active ON messages(endpoint_id, due_at) WHERE state IN ('pending', 'inflight')",
            "CREATE INDEX messages_by_request ON messages(request_id)",
            "CREATE INDEX messages_dead ON messages(dead_at, id) WHERE state = 'dead'",
            """
            CREATE TABLE attempts (
                id {serial_pk},
                message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                number INTEGER NOT NULL,
                started_at {real} NOT NULL,
                duration_ms INTEGER NOT NULL,
                status_code INTEGER,
                error TEXT,
                response_excerpt TEXT,
                outcome TEXT NOT NULL
            )
            """,
            "CREATE INDEX attempts_by_message ON attempts(message_id)",
        ]),
        // Decisions keep who decided and what the control plane answered; a callback finds its request by
        // the hash of its capability token; the deadline sweep finds open requests; a message knows its sink.
        Migration("v2-decisions", [
            "ALTER TABLE requests ADD COLUMN callback_token_hash TEXT",
            "ALTER TABLE requests ADD COLUMN decision_actor TEXT",
            "ALTER TABLE requests ADD COLUMN decision_result {blob}",
            "ALTER TABLE requests ADD COLUMN control_plane_state TEXT",
            "ALTER TABLE requests ADD COLUMN flag TEXT",
            "CREATE UNIQUE INDEX requests_by_callback_token ON requests(callback_token_hash)",
            "CREATE INDEX requests_open_by_deadline ON requests(deadline) WHERE state = 'requested'",
            "ALTER TABLE messages ADD COLUMN sink TEXT",
        ]),
        // The circuit breaker: a failing endpoint is paused and probed.
        Migration("v3-circuit", [
            "ALTER TABLE endpoints ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE endpoints ADD COLUMN next_probe_at {real}",
        ]),
        // The retention purge finds decided requests by age.
        Migration("v4-retention", [
            "CREATE INDEX requests_decided ON requests(updated_at) WHERE state <> 'requested'",
        ]),
        // The deadline sweep runs every second: without this it scans every undelivered message.
        Migration("v5-deadline-index", [
            "CREATE INDEX messages_active_by_deadline ON messages(deadline) WHERE state IN ('pending', 'inflight')",
        ]),
        // The console's activity figures read the last hour and day of attempts.
        Migration("v6-attempts-by-time", [
            "CREATE INDEX attempts_by_started_at ON attempts(started_at)",
        ]),
        // SPEC §11: an approval_request_id names one open request; leases of a dead process are found by owner;
        // console sign-outs hold on every instance. The retention purge finds idempotency keys by request.
        // SPEC §16: every callback that names a request is kept in its timeline.
        Migration("v7-hardening", [
            """
            CREATE UNIQUE INDEX requests_open_by_approval_request_id ON requests(approval_request_id)
                WHERE approval_request_id IS NOT NULL AND state IN ('requested', 'approved')
            """,
            "CREATE INDEX messages_inflight_by_owner ON messages(lease_owner) WHERE state = 'inflight'",
            "CREATE INDEX idempotency_keys_by_request ON idempotency_keys(request_id)",
            "CREATE TABLE console_revocations (nonce TEXT PRIMARY KEY, expires_at {real} NOT NULL)",
            """
            CREATE TABLE callback_events (
                id {serial_pk},
                request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                received_at {real} NOT NULL,
                path TEXT NOT NULL,
                decision TEXT NOT NULL,
                outcome TEXT NOT NULL,
                endpoint TEXT,
                actor TEXT,
                state TEXT NOT NULL,
                excerpt TEXT
            )
            """,
            "CREATE INDEX callback_events_by_request ON callback_events(request_id)",
        ]),
        // SPEC §11: every PostgreSQL instance records its heartbeat, so that the leases of one that died are found
        // and returned; SQLite's single `serve` records itself once at start, and both stores keep one schema. IF NOT EXISTS: a
        // PostgreSQL database of the earlier, separate list has it already (`PostgresSchema.renamedVersions`).
        Migration("v8-instances", [
            "CREATE TABLE IF NOT EXISTS instances (id TEXT PRIMARY KEY, started_at {real} NOT NULL, heartbeat_at {real} NOT NULL)",
        ]),
        // An endpoint's settings (headers, tools, limits) are one value, `EndpointSettings`, stored whole as JSON:
        // a new setting is a field of that value, not a column in two schemas. Only what SQL filters or counts
        // on keeps a column (name, role, url, enabled, the circuit).
        Migration("v9-endpoint-settings", [
            "ALTER TABLE endpoints ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'",
            // SPEC §15: an endpoint declared in a config file names it; the API and the console refuse to change it.
            "ALTER TABLE endpoints ADD COLUMN declared_in TEXT",
            .each(
                sqlite: """
                    UPDATE endpoints SET settings = json_object('headers', json(headers), 'tools', json(tools),
                        'max_attempts', max_attempts, 'timeout_ms', timeout_ms, 'concurrency', concurrency)
                    """,
                postgres: """
                    UPDATE endpoints SET settings = json_strip_nulls(json_build_object('headers', headers::json, 'tools', tools::json,
                        'max_attempts', max_attempts, 'timeout_ms', timeout_ms, 'concurrency', concurrency))::text
                    """
            ),
            "ALTER TABLE endpoints DROP COLUMN headers",
            "ALTER TABLE endpoints DROP COLUMN tools",
            "ALTER TABLE endpoints DROP COLUMN max_attempts",
            "ALTER TABLE endpoints DROP COLUMN timeout_ms",
            "ALTER TABLE endpoints DROP COLUMN concurrency",
        ]),
        // SPEC §12. A request keeps its quorum and escalation whole (`RequestLifecycle`), and when its next step is
        // due; the list pages by creation. Each delivery has its own capability, so a vote names its endpoint.
        // Votes are counted per endpoint; the audit trail is a hash chain whose head row serializes appends.
        Migration("v10-lifecycle", [
            "ALTER TABLE requests ADD COLUMN lifecycle TEXT",
            "ALTER TABLE requests ADD COLUMN next_escalation_at {real}",
            "CREATE INDEX requests_escalation_due ON requests(next_escalation_at) WHERE state = 'requested' AND next_escalation_at IS NOT NULL",
            "CREATE INDEX requests_by_created ON requests(created_at, id)",
            "ALTER TABLE messages ADD COLUMN callback_token_hash TEXT",
            "CREATE UNIQUE INDEX messages_by_callback_token ON messages(callback_token_hash) WHERE callback_token_hash IS NOT NULL",
            """
            CREATE TABLE votes (
                request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                endpoint TEXT NOT NULL,
                decision TEXT NOT NULL,
                reason TEXT,
                actor TEXT,
                path TEXT NOT NULL,
                cast_at {real} NOT NULL,
                PRIMARY KEY (request_id, endpoint)
            )
            """,
            // Not tied to requests: the trail outlives the retention purge.
            """
            CREATE TABLE audit_log (
                seq {bigint} PRIMARY KEY,
                recorded_at_ms {bigint} NOT NULL,
                kind TEXT NOT NULL,
                request_id TEXT NOT NULL,
                correlation_id TEXT NOT NULL,
                path TEXT NOT NULL,
                endpoint TEXT,
                actor TEXT,
                decision TEXT NOT NULL,
                reason TEXT,
                body_sha256 TEXT,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_log_by_request ON audit_log(request_id)",
            "CREATE INDEX audit_log_by_time ON audit_log(recorded_at_ms)",
            "CREATE TABLE audit_head (id INTEGER PRIMARY KEY, seq {bigint} NOT NULL, hash TEXT NOT NULL)",
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')",
        ]),
        // SPEC §14: the age of the oldest message still to send, per purpose, read at every scrape. SPEC §13: the
        // control plane's own reference for a request (kodex's interaction request id).
        Migration("v11-ecosystem", [
            "CREATE INDEX messages_active_by_purpose ON messages(purpose, created_at) WHERE state IN ('pending', 'inflight')",
            "ALTER TABLE requests ADD COLUMN control_plane_ref TEXT",
            // SPEC §14: the trace a request joined, and the span each message's attempts are children of.
            "ALTER TABLE requests ADD COLUMN traceparent TEXT",
            "ALTER TABLE requests ADD COLUMN tracestate TEXT",
            "ALTER TABLE messages ADD COLUMN traceparent TEXT",
            "ALTER TABLE messages ADD COLUMN tracestate TEXT",
        ]),
    ]
}

/// One version of the schema: statements in portable SQL, applied in order in one transaction.
public struct Migration: Sendable {
    public let version: String
    /// One statement each, with `SQLDialect` type tokens (`{real}`, `{blob}`, …).
    public let statements: [Statement]

    public init(_ version: String, _ statements: [Statement]) {
        self.version = version
        self.statements = statements
    }

    /// The statements as `dialect` runs them.
    public func render(_ dialect: SQLDialect) -> [String] {
        statements.map { statement in
            switch statement {
            case .portable(let sql): dialect.render(sql)
            case .each(let sqlite, let postgres): dialect.render(dialect == .sqlite ? sqlite : postgres)
            }
        }
    }

    /// A statement of a migration.
    public enum Statement: Sendable, ExpressibleByStringLiteral {
        /// The same SQL on both stores (type tokens aside): every schema change.
        case portable(String)
        /// Data moved by functions each dialect names its own way (JSON building); the schema they leave is the same.
        case each(sqlite: String, postgres: String)

        public init(stringLiteral sql: String) { self = .portable(sql) }
    }
}

/// The SQL a store speaks.
public enum SQLDialect: Sendable, CaseIterable {
    case sqlite
    case postgres

    /// What each type token of the portable SQL stands for. SQLite's are the types its schema has always
    /// had, so that a SQLite database migrated before the one list existed is exactly what it renders;
    /// PostgreSQL's are its native types (a boolean, 64-bit integers and a sequence for AUTOINCREMENT ids).
    public var types: [(token: String, sql: String)] {
        switch self {
        case .sqlite:
            [("{real}", "REAL"), ("{blob}", "BLOB"), ("{bool}", "INTEGER"), ("{bigint}", "INTEGER"),
             ("{serial_pk}", "INTEGER PRIMARY KEY AUTOINCREMENT")]
        case .postgres:
            [("{real}", "DOUBLE PRECISION"), ("{blob}", "BYTEA"), ("{bool}", "BOOLEAN"), ("{bigint}", "BIGINT"),
             ("{serial_pk}", "BIGSERIAL PRIMARY KEY")]
        }
    }

    /// `statement` with every type token replaced by this dialect's type.
    public func render(_ statement: String) -> String {
        types.reduce(statement) { sql, type in sql.replacingOccurrences(of: type.token, with: type.sql) }
    }
}

extension Array where Element == Migration {
    /// Every version with its statements in `dialect`, in order: what a store applies.
    public func render(_ dialect: SQLDialect) -> [(version: String, sql: [String])] {
        map { ($0.version, $0.render(dialect)) }
    }
}
