import Logging
import PostgresNIO

/// The versioned schema of the PostgreSQL store: the same tables as the SQLite store, in PostgreSQL's
/// types. Append migrations; never edit a shipped one.
enum PostgresSchema {
    static let migrations: [(version: String, sql: [String])] = [
        ("v1-outbox", [
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
                enabled BOOLEAN NOT NULL,
                disabled_reason TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                consecutive_failures INTEGER NOT NULL DEFAULT 0,
                next_probe_at DOUBLE PRECISION
            )
            """,
            """
            CREATE TABLE requests (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                correlation_id TEXT NOT NULL UNIQUE,
                approval_request_id BIGINT,
                tool TEXT NOT NULL,
                state TEXT NOT NULL,
                payload BYTEA NOT NULL,
                callback_url TEXT,
                deadline DOUBLE PRECISION NOT NULL,
                decision_reason TEXT,
                decided_at DOUBLE PRECISION,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                decision_actor TEXT,
                decision_result BYTEA,
                control_plane_state TEXT,
                flag TEXT,
                callback_token_hash TEXT UNIQUE
            )
            """,
            "CREATE INDEX requests_by_approval_request_id ON requests(approval_request_id)",
            "CREATE INDEX requests_open_by_deadline ON requests(deadline) WHERE state = 'requested'",
            "CREATE INDEX requests_decided ON requests(updated_at) WHERE state <> 'requested'",
            """
            CREATE TABLE idempotency_keys (
                key TEXT PRIMARY KEY,
                body_hash TEXT NOT NULL,
                request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                response_status INTEGER NOT NULL,
                response_body BYTEA NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE INDEX idempotency_keys_by_request ON idempotency_keys(request_id)",
            """
            CREATE TABLE messages (
                id TEXT PRIMARY KEY,
                request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                endpoint_id TEXT REFERENCES endpoints(id) ON DELETE SET NULL,
                endpoint_name TEXT NOT NULL,
                purpose TEXT NOT NULL,
                url TEXT NOT NULL,
                body BYTEA NOT NULL,
                state TEXT NOT NULL,
                attempt_count INTEGER NOT NULL DEFAULT 0,
                round_start INTEGER NOT NULL DEFAULT 0,
                due_at DOUBLE PRECISION NOT NULL,
                deadline DOUBLE PRECISION NOT NULL,
                lease_owner TEXT,
                lease_token BIGINT NOT NULL DEFAULT 0,
                dead_reason TEXT,
                dead_at DOUBLE PRECISION,
                last_error TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                sink TEXT
            )
            """,
            "CREATE INDEX messages_active ON messages(endpoint_id, due_at) WHERE state IN ('pending', 'inflight')",
            "CREATE INDEX messages_by_request ON messages(request_id)",
            "CREATE INDEX messages_active_by_deadline ON messages(deadline) WHERE state IN ('pending', 'inflight')",
            "CREATE INDEX messages_dead ON messages(dead_at, id) WHERE state = 'dead'",
            """
            CREATE TABLE attempts (
                id BIGSERIAL PRIMARY KEY,
                message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                number INTEGER NOT NULL,
                started_at DOUBLE PRECISION NOT NULL,
                duration_ms INTEGER NOT NULL,
                status_code INTEGER,
                error TEXT,
                response_excerpt TEXT,
                outcome TEXT NOT NULL
            )
            """,
            "CREATE INDEX attempts_by_message ON attempts(message_id)",
        ]),
        // The console's activity figures read the last hour and day of attempts.
        ("v2-attempts-by-time", ["CREATE INDEX attempts_by_started_at ON attempts(started_at)"]),
        // SPEC §11: an approval_request_id names one open request; each instance heartbeats, and a dead one's
        // leases are found by owner; console sign-outs hold on every instance.
        ("v3-hardening", [
            """
            CREATE UNIQUE INDEX requests_open_by_approval_request_id ON requests(approval_request_id)
                WHERE approval_request_id IS NOT NULL AND state IN ('requested', 'approved')
            """,
            "CREATE INDEX messages_inflight_by_owner ON messages(lease_owner) WHERE state = 'inflight'",
            "CREATE TABLE instances (id TEXT PRIMARY KEY, started_at DOUBLE PRECISION NOT NULL, heartbeat_at DOUBLE PRECISION NOT NULL)",
            "CREATE TABLE console_revocations (nonce TEXT PRIMARY KEY, expires_at DOUBLE PRECISION NOT NULL)",
            // SPEC §16: every callback that names a request is kept in its timeline.
            """
            CREATE TABLE callback_events (
                id BIGSERIAL PRIMARY KEY,
                request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                received_at DOUBLE PRECISION NOT NULL,
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
    ]

    /// Serializes migrations across instances starting at once.
    static let migrationLockKey: Int64 = 0x7265_6C61_7921  // "relay!"

    /// The advisory lock that lets one instance at a time claim forwards (they have no endpoint row to lock).
    static let forwardClaimLockKey: Int64 = 0x7265_6C61_7966  // "relayf"

    /// The NOTIFY channel of "a message became due".
    static let dueChannel = "relay_due"
}
