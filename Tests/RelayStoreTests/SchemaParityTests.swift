import Foundation
import RelayStore
import RelayTestSupport
import Testing

/// One migration list (`Migrations.all`) for both stores: a fresh SQLite file and a fresh PostgreSQL
/// database end with the same tables, columns and indexes and record the same versions, and a PostgreSQL
/// database of the earlier, separate list is brought to the same schema without a version applied twice.
@Suite struct SchemaParityTests {
    static let tables = ["attempts", "audit_head", "audit_log", "callback_events", "console_revocations", "endpoints", "idempotency_keys",
                         "instances", "messages", "requests", "votes"]

    @Test func bothStoresMigrateToOneSchema() async throws {
        let (sqliteStore, _, sqlite) = try await migrated(.sqlite)
        let (postgresStore, _, postgres) = try await migrated(.postgres)
        try await sqliteStore.close()
        try await postgresStore.close()
        for difference in sqlite.differences(from: postgres, labels: ("SQLite", "PostgreSQL")) {
            Issue.record("\(difference)")
        }
        // Not two empty readings agreeing.
        #expect(sqlite.tables.map(\.name) == Self.tables, "\(sqlite)")
        #expect(sqlite.indexes.count >= 10, "\(sqlite)")
        #expect(sqlite.versions == Migrations.all.map(\.version))
        #expect(postgres.versions == Migrations.all.map(\.version))
    }

    @Test func everyTypeTokenIsRenderedAndEveryVersionNamedOnce() {
        let versions = Migrations.all.map(\.version)
        #expect(Set(versions).count == versions.count, "\(versions)")
        for dialect in SQLDialect.allCases {
            for migration in Migrations.all {
                for statement in migration.render(dialect) where statement.contains(/\{[a-z_]+\}/) {
                    Issue.record("\(migration.version) for \(dialect) keeps a token: \(statement)")
                }
            }
        }
    }

    /// The earlier list recorded `recorded` (v1-outbox, v2-attempts-by-time, v3-hardening, in the order it
    /// grew) for its own version of the schema; migrate translates the names, settles the differences and
    /// applies what is missing, and a second migrate changes nothing.
    @Test(arguments: [["v1-outbox", "v2-attempts-by-time", "v3-hardening"], ["v1-outbox", "v2-attempts-by-time"], ["v1-outbox"]])
    func aPostgreSQLDatabaseOfTheEarlierListEndsWithTheOneSchema(_ recorded: [String]) async throws {
        let (store, location, fresh) = try await migrated(.postgres)
        guard case .postgres(let url) = location else { throw TestStoreError("not a PostgreSQL location: \(location)") }
        try await PostgresSQL.execute(Self.earlierList(recorded), on: url)
        #expect(await store.isReady() == false, "the earlier names are not the versions of the one list")

        // A version applied again would fail on what is there (CREATE TABLE, ADD COLUMN, CREATE INDEX).
        try await store.migrate()
        #expect(await store.isReady())
        let upgraded = try await SchemaDescription.postgres(url: url, logger: TestStores.quietLogger)
        #expect(upgraded.versions == Migrations.all.map(\.version))
        // The earlier names stay for instances of the earlier release during a rolling upgrade.
        #expect(Set(upgraded.earlierVersions + upgraded.versions).isSuperset(of: recorded), "\(upgraded.earlierVersions)")
        for difference in upgraded.differences(from: fresh, labels: ("upgraded", "fresh")) {
            Issue.record("from \(recorded): \(difference)")
        }

        let bookkeeping = "SELECT version || ' ' || applied_at FROM relay_migrations ORDER BY version"
        let before = try await PostgresSQL.texts(bookkeeping, on: url)
        try await store.migrate()
        #expect(try await PostgresSQL.texts(bookkeeping, on: url) == before, "a second migrate recorded something")
        #expect(try await SchemaDescription.postgres(url: url, logger: TestStores.quietLogger) == upgraded)
        try await store.close()
    }

    /// Turns a database of the one list into what the earlier list left having applied `recorded`: its names
    /// in `relay_migrations`, callback_token_hash UNIQUE inline, and only the objects of those versions (its
    /// v1-outbox made idempotency_keys_by_request already; v2-attempts-by-time is today's v6; v3-hardening
    /// made v7's other objects and v8's instances table).
    static func earlierList(_ recorded: [String]) -> [String] {
        var statements = [
            "DELETE FROM relay_migrations",
            "DROP INDEX requests_by_callback_token",
            "ALTER TABLE requests ADD CONSTRAINT requests_callback_token_hash_key UNIQUE (callback_token_hash)",
        ]
        statements += recorded.enumerated().map { "INSERT INTO relay_migrations (version, applied_at) VALUES ('\($0.element)', \($0.offset + 1))" }
        if !recorded.contains("v2-attempts-by-time") {
            statements.append("DROP INDEX attempts_by_started_at")
        }
        // None of the earlier list's versions had v9 (its endpoints had a column per setting), v10 or v11.
        statements += Self.beforeEcosystem + Self.beforeLifecycle + Self.beforeEndpointSettings
        if !recorded.contains("v3-hardening") {
            statements += ["DROP INDEX requests_open_by_approval_request_id", "DROP INDEX messages_inflight_by_owner",
                           "DROP TABLE console_revocations", "DROP TABLE callback_events", "DROP TABLE instances"]
        }
        return statements
    }

    /// The schema as v10 left it, from one that v11 made.
    static let beforeEcosystem = [
        "DROP INDEX messages_active_by_purpose", "ALTER TABLE requests DROP COLUMN control_plane_ref",
        "ALTER TABLE requests DROP COLUMN traceparent", "ALTER TABLE requests DROP COLUMN tracestate",
        "ALTER TABLE messages DROP COLUMN traceparent", "ALTER TABLE messages DROP COLUMN tracestate",
    ]

    /// The schema as v9 left it, from one that v10 made.
    static let beforeLifecycle = [
        "DROP TABLE audit_head", "DROP TABLE audit_log", "DROP TABLE votes",
        "DROP INDEX messages_by_callback_token", "ALTER TABLE messages DROP COLUMN callback_token_hash",
        "DROP INDEX requests_by_created", "DROP INDEX requests_escalation_due",
        "ALTER TABLE requests DROP COLUMN next_escalation_at", "ALTER TABLE requests DROP COLUMN lifecycle",
    ]

    /// An endpoints table as v8 left it (a column per setting), from one that v9 made.
    static let beforeEndpointSettings = [
        "ALTER TABLE endpoints DROP COLUMN settings",
        "ALTER TABLE endpoints DROP COLUMN declared_in",
        "ALTER TABLE endpoints ADD COLUMN headers TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE endpoints ADD COLUMN tools TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE endpoints ADD COLUMN max_attempts INTEGER",
        "ALTER TABLE endpoints ADD COLUMN timeout_ms INTEGER",
        "ALTER TABLE endpoints ADD COLUMN concurrency INTEGER NOT NULL DEFAULT 8",
    ]

    /// A fresh store of `kind`, migrated, where it lives, and its schema as read back.
    func migrated(_ kind: StoreKind) async throws -> (store: any RelayStore, location: StoreLocation, schema: SchemaDescription) {
        let location = try await TestStores.fresh(kind)
        let store = try TestStores.open(location)
        try await store.migrate()
        let schema: SchemaDescription
        switch location {
        case .sqlite(let path): schema = try await SchemaDescription.sqlite(path: path)
        case .postgres(let url): schema = try await SchemaDescription.postgres(url: url, logger: TestStores.quietLogger)
        }
        return (store, location, schema)
    }
}
