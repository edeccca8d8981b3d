import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// PostgreSQL stopped and started under a running relay (issue 6): not ready while it is down, a clear 503
/// to submits instead of a hanging request, ready again by itself once it is back, nothing lost.
@Suite struct DatabaseOutageTests {
    @Test func theRelayReportsNotReadyWhileTheDatabaseIsDownAndRecoversByItself() async throws {
        let database = try await PostgresServer.start()
        do {
            try await outageAndRecovery(database)
        } catch {
            await database.discard()
            throw error
        }
        await database.discard()
    }

    private func outageAndRecovery(_ database: PostgresServer) async throws {
        let adapter = try await StandInServer.start(.accepted)
        let relay = try await TestRelay.start(store: .postgres, location: .postgres(url: database.url))
        _ = try await registerEndpoint(relay, name: "tg", url: adapter.url + "/approve")
        for index in 0..<3 { #expect(try await submit(relay, "before-\(index)").status == 202) }
        try await eventually("three deliveries before the outage") { adapter.requests.count >= 3 }

        try await database.stop()
        try await eventually("not ready while the database is down", timeout: .seconds(20)) {
            try await call(.GET, relay.baseURL + "/readyz").status == 503
        }
        let started = ContinuousClock.now
        let refused = try await submit(relay, "during")
        let waited = ContinuousClock.now - started
        #expect(refused.status == 503, "\(refused.text)")
        #expect(refused.json?["code"] == "store_unavailable", "\(refused.text)")
        #expect(refused.headers.first(name: "Retry-After") != nil)
        #expect(waited < .seconds(15), "a submit waited \(waited) for the database instead of answering 503")

        try await database.start()
        try await eventually("ready again without a restart", timeout: .seconds(60)) {
            try await call(.GET, relay.baseURL + "/readyz").status == 200
        }
        // The refused submit is retried by its sender with the same key, as a 503 asks.
        try await eventually("the retried submit accepted", timeout: .seconds(30)) {
            try await submit(relay, "during").status == 202
        }
        for index in 0..<3 { #expect(try await submit(relay, "after-\(index)").status == 202) }
        let keys = ["before-0", "before-1", "before-2", "during", "after-0", "after-1", "after-2"]
        let deadline = ContinuousClock.now + .seconds(60)
        var states: [String: String] = [:]
        repeat {
            for key in keys { states[key] = try await firstMessage(relay, key)["state"]?.stringValue }
            if states.values.allSatisfy({ $0 == "delivered" }) { break }
            try await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        #expect(states.values.allSatisfy { $0 == "delivered" }, "every accepted request delivered: \(states)")
        #expect(Set(adapter.requests.compactMap { $0.header("webhook-id") }).count == keys.count)
        await relay.stop()
        await adapter.stop()
    }
}
