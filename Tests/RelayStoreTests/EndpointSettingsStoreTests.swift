import Foundation
import GRDB
import RelayCore
import RelayStore
import RelayTestSupport
import Testing

/// An endpoint's settings are one value stored whole (v9-endpoint-settings): what a database kept in a
/// column per setting arrives in that value unchanged, on both stores.
@Suite struct EndpointSettingsStoreTests {
    @Test(arguments: allStores) func settingsKeptInColumnsMoveIntoTheOneValue(_ kind: StoreKind) async throws {
        let location = try await TestStores.fresh(kind)
        let store = try TestStores.open(location)
        try await store.migrate()
        let yes = kind == .sqlite ? "1" : "true"
        let forget = kind == .sqlite ? "DELETE FROM grdb_migrations WHERE identifier = 'v9-endpoint-settings'"
                                     : "DELETE FROM relay_migrations WHERE version = 'v9-endpoint-settings'"
        let v8 = SchemaParityTests.beforeEndpointSettings + [
            """
            INSERT INTO endpoints (id, name, role, url, secrets, enabled, created_at, updated_at, headers, tools, max_attempts, timeout_ms, concurrency)
            VALUES ('ep_1', 'tg', 'approver', 'http://a.example', '[{"secret":"whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]', \(yes), 1, 1,
                    '{"Authorization":"Bearer x"}', '["github_*","deploy"]', 5, 2000, 3)
            """,
            """
            INSERT INTO endpoints (id, name, role, url, secrets, enabled, created_at, updated_at, headers, tools, max_attempts, timeout_ms, concurrency)
            VALUES ('ep_2', 'slack', 'executor', 'http://b.example', '[]', \(yes), 1, 1, '{}', '[]', NULL, NULL, 8)
            """,
            forget,
        ]
        switch location {
        case .sqlite(let path):
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in for statement in v8 { try db.execute(sql: statement) } }
            try queue.close()
        case .postgres(let url):
            try await PostgresSQL.execute(v8, on: url)
        }
        try await store.migrate()
        let tg = try #require(try await store.endpoint(idOrName: "tg"))
        #expect(tg.settings == EndpointSettings(headers: ["Authorization": "Bearer x"], tools: ["github_*", "deploy"], maxAttempts: 5,
                                                timeoutMs: 2000, concurrency: 3))
        let slack = try #require(try await store.endpoint(idOrName: "slack"))
        #expect(slack.settings == EndpointSettings(concurrency: 8))
        #expect(await store.isReady())
        try await store.close()
    }

    /// Out of range or reserved, named by its field: the one check the API, the command line and the config file share.
    @Test func settingsOutsideTheirRangesNameTheField() {
        let valid = EndpointSettings(headers: ["Authorization": "Bearer x"], concurrency: 8)
        #expect(valid.problem() == nil)
        var cases: [(EndpointSettings, String)] = []
        var settings = valid
        settings.concurrency = 0
        cases.append((settings, "concurrency"))
        settings = valid
        settings.maxAttempts = 101
        cases.append((settings, "max_attempts"))
        settings = valid
        settings.timeoutMs = 99
        cases.append((settings, "timeout_ms"))
        settings = valid
        settings.headers = ["Webhook-Signature": "forged"]
        cases.append((settings, "headers"))
        settings = valid
        settings.headers = ["Bad Name": "x"]
        cases.append((settings, "headers"))
        for (settings, field) in cases {
            #expect(settings.problem()?.field == field, "\(settings)")
        }
    }
}
