import Foundation
import Logging
import PostgresNIO

/// The versioned schema of the PostgreSQL store: `Migrations.all` in PostgreSQL's types, each version
/// recorded in `relay_migrations` once applied.
enum PostgresSchema {
    static let migrations: [(version: String, sql: [String])] = Migrations.all.render(.postgres)

    /// Earlier releases kept a list of PostgreSQL's own beside SQLite's, under other names; the one list took
    /// SQLite's. An old name recorded in `relay_migrations` stands for these versions of the one list, whose
    /// content it already made: the old v1-outbox was today's v1 to v5 at once (with two differences that
    /// `oldOutboxToday` settles), v2-attempts-by-time is v6, v3-hardening is v7 with v8's instances table.
    /// Translated once, in the migration's transaction. The old rows stay: during a rolling upgrade an instance
    /// still on the earlier release checks for them, and would otherwise report not ready or migrate again.
    static let renamedVersions: [(old: String, new: [String])] = [
        ("v1-outbox", ["v1-outbox", "v2-decisions", "v3-circuit", "v4-retention", "v5-deadline-index"]),
        ("v2-attempts-by-time", ["v6-attempts-by-time"]),
        ("v3-hardening", ["v7-hardening", "v8-instances"]),
    ]

    /// What makes a database of the old v1-outbox exactly what v1 to v5 make, so that an upgraded database is
    /// a fresh one's twin. Run once, when it is translated. The old v1-outbox declared callback_token_hash
    /// UNIQUE inline, where v2-decisions makes the index requests_by_callback_token (the same rule, named the
    /// one list's way); and messages_active_by_deadline was added to it after the first PostgreSQL release,
    /// whose databases lack it.
    static let oldOutboxToday = [
        "CREATE UNIQUE INDEX IF NOT EXISTS requests_by_callback_token ON requests(callback_token_hash)",
        "ALTER TABLE requests DROP CONSTRAINT IF EXISTS requests_callback_token_hash_key",
        "CREATE INDEX IF NOT EXISTS messages_active_by_deadline ON messages(deadline) WHERE state IN ('pending', 'inflight')",
    ]

    /// Serializes migrations across instances starting at once.
    static let migrationLockKey: Int64 = 0x7265_6C61_7921  // "relay!"

    /// The advisory lock that lets one instance at a time claim forwards (they have no endpoint row to lock).
    static let forwardClaimLockKey: Int64 = 0x7265_6C61_7966  // "relayf"

    /// The NOTIFY channel of "a message became due".
    static let dueChannel = "relay_due"
    /// The NOTIFY channel of "this request was resolved" (the payload is its id): it ends waits on every instance.
    static let decidedChannel = "relay_decided"

    /// Brings the schema up to date, in the transaction `connection` is in.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLockKey))", logger: logger)
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS relay_migrations (version TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)
            """, logger: logger)
        let applied = try await renameOldVersions(connection, logger: logger)
        for migration in migrations where !applied.contains(migration.version) {
            for statement in migration.sql {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await record(migration.version, connection, logger: logger)
            logger.info("migration applied", metadata: ["version": "\(migration.version)"])
        }
    }

    /// True when every version of the one list is recorded.
    static func isMigrated(_ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let versions = migrations.map(\.version)
        let count = try await connection.query("""
            SELECT count(*) FROM relay_migrations WHERE version = ANY(\(versions))
            """, logger: logger).collect().first?.decode(Int.self) ?? 0
        return count == versions.count
    }

    /// The recorded versions once the old names (`renamedVersions`) are translated.
    private static func renameOldVersions(_ connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        var applied = Set(try await connection.query("SELECT version FROM relay_migrations", logger: logger)
            .collect().map { try $0.decode(String.self) })
        var outboxTranslated = false
        for (old, new) in renamedVersions where applied.contains(old) {
            let missing = new.filter { !applied.contains($0) }
            for version in missing { try await record(version, connection, logger: logger) }
            applied.formUnion(missing)
            if !missing.isEmpty {
                logger.info("migration version of the earlier list renamed",
                            metadata: ["old": "\(old)", "new": "\(new.joined(separator: ", "))"])
            }
            if old == "v1-outbox" && !missing.isEmpty { outboxTranslated = true }
        }
        if outboxTranslated {
            for statement in oldOutboxToday { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
            // The old v1-outbox made v7-hardening's idempotency_keys_by_request too: a database the old
            // v3-hardening never reached would fail v7 on it, so it goes, and v7 makes it again.
            if !applied.contains("v7-hardening") {
                try await connection.query("DROP INDEX IF EXISTS idempotency_keys_by_request", logger: logger)
            }
        }
        return applied
    }

    private static func record(_ version: String, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO relay_migrations (version, applied_at) VALUES (\(version), \(Date().timeIntervalSince1970))
            ON CONFLICT (version) DO NOTHING
            """, logger: logger)
    }
}
