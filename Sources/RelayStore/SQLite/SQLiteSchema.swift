import GRDB

/// The versioned schema of the SQLite store. Append migrations; never edit a shipped one.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-outbox") { db in
            try db.execute(sql: """
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
                    enabled INTEGER NOT NULL,
                    disabled_reason TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE TABLE requests (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    correlation_id TEXT NOT NULL UNIQUE,
                    approval_request_id INTEGER,
                    tool TEXT NOT NULL,
                    state TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    callback_url TEXT,
                    deadline REAL NOT NULL,
                    decision_reason TEXT,
                    decided_at REAL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX requests_by_approval_request_id ON requests(approval_request_id);
                CREATE TABLE idempotency_keys (
                    key TEXT PRIMARY KEY,
                    body_hash TEXT NOT NULL,
                    request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                    response_status INTEGER NOT NULL,
                    response_body BLOB NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE messages (
                    id TEXT PRIMARY KEY,
                    request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                    endpoint_id TEXT REFERENCES endpoints(id) ON DELETE SET NULL,
                    endpoint_name TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    url TEXT NOT NULL,
                    body BLOB NOT NULL,
                    state TEXT NOT NULL,
                    attempt_count INTEGER NOT NULL DEFAULT 0,
                    round_start INTEGER NOT NULL DEFAULT 0,
                    due_at REAL NOT NULL,
                    deadline REAL NOT NULL,
                    lease_owner TEXT,
                    lease_token INTEGER NOT NULL DEFAULT 0,
                    dead_reason TEXT,
                    dead_at REAL,
                    last_error TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX messages_active ON messages(endpoint_id, due_at) WHERE state IN ('pending', 'inflight');
                CREATE INDEX messages_by_request ON messages(request_id);
                CREATE INDEX messages_dead ON messages(dead_at, id) WHERE state = 'dead';
                CREATE TABLE attempts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    started_at REAL NOT NULL,
                    duration_ms INTEGER NOT NULL,
                    status_code INTEGER,
                    error TEXT,
                    response_excerpt TEXT,
                    outcome TEXT NOT NULL
                );
                CREATE INDEX attempts_by_message ON attempts(message_id);
                """)
        }
        migrator.registerMigration("v2-decisions") { db in
            try db.execute(sql: """
                ALTER TABLE requests ADD COLUMN callback_token_hash TEXT;
                ALTER TABLE requests ADD COLUMN decision_actor TEXT;
                ALTER TABLE requests ADD COLUMN decision_result BLOB;
                ALTER TABLE requests ADD COLUMN control_plane_state TEXT;
                ALTER TABLE requests ADD COLUMN flag TEXT;
                CREATE UNIQUE INDEX requests_by_callback_token ON requests(callback_token_hash);
                CREATE INDEX requests_open_by_deadline ON requests(deadline) WHERE state = 'requested';
                ALTER TABLE messages ADD COLUMN sink TEXT;
                """)
        }
        migrator.registerMigration("v3-circuit") { db in
            try db.execute(sql: """
                ALTER TABLE endpoints ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE endpoints ADD COLUMN next_probe_at REAL;
                """)
        }
        migrator.registerMigration("v4-retention") { db in
            try db.execute(sql: """
                CREATE INDEX requests_decided ON requests(updated_at) WHERE state <> 'requested';
                """)
        }
        // The deadline sweep runs every second: without this it scans every undelivered message.
        migrator.registerMigration("v5-deadline-index") { db in
            try db.execute(sql: """
                CREATE INDEX messages_active_by_deadline ON messages(deadline) WHERE state IN ('pending', 'inflight');
                """)
        }
        // The console's activity figures read the last hour and day of attempts.
        migrator.registerMigration("v6-attempts-by-time") { db in
            try db.execute(sql: "CREATE INDEX attempts_by_started_at ON attempts(started_at)")
        }
        // SPEC §11: an approval_request_id names one open request; leases of a dead process are found by owner;
        // console sign-outs hold on every instance. The retention purge finds idempotency keys by request.
        // SPEC §16: every callback that names a request is kept in its timeline.
        migrator.registerMigration("v7-hardening") { db in
            try db.execute(sql: """
                CREATE UNIQUE INDEX requests_open_by_approval_request_id ON requests(approval_request_id)
                    WHERE approval_request_id IS NOT NULL AND state IN ('requested', 'approved');
                CREATE INDEX messages_inflight_by_owner ON messages(lease_owner) WHERE state = 'inflight';
                CREATE INDEX idempotency_keys_by_request ON idempotency_keys(request_id);
                CREATE TABLE console_revocations (nonce TEXT PRIMARY KEY, expires_at REAL NOT NULL);
                CREATE TABLE callback_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                    received_at REAL NOT NULL,
                    path TEXT NOT NULL,
                    decision TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    endpoint TEXT,
                    actor TEXT,
                    state TEXT NOT NULL,
                    excerpt TEXT
                );
                CREATE INDEX callback_events_by_request ON callback_events(request_id);
                """)
        }
        return migrator
    }
}
