import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import RelayStore
import Testing

/// Restarts, replays and graceful shutdown: nothing lost, nothing delivered twice to an endpoint that said 2xx.
@Suite struct LifecycleTests {
    @Test(arguments: StoreKind.allCases) func restartDeliversEverythingPendingAndNothingTwice(_ store: StoreKind) async throws {
        let adapter = try await StandInServer.start(.status(503))
        let location = try await TestStores.fresh(store)
        // The adapter fails well past the circuit's threshold; this test is about restarts, so the circuit stays out of it.
        let patient = CircuitBreaker(failureThreshold: 10_000)
        let first = try await TestRelay.start(store: store, location: location, circuit: patient)
        _ = try await registerEndpoint(first, name: "tg", url: adapter.url, extra: ["max_attempts": 100])
        var ids: [String] = []
        for index in 0..<20 {
            let answer = try await submit(first, "c-restart-\(index)")
            ids += answer.json?["messages"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        }
        try await eventually("attempts against the down adapter") { adapter.requests.count >= 20 }
        await first.stop()
        adapter.answer([], then: .accepted)
        let answeredBefore = adapter.requests.count
        let second = try await TestRelay.start(store: store, location: location, circuit: patient)
        try await eventually("every message delivered after the restart") {
            try await Array(0..<20).asyncAllSatisfy { index in
                try await second.store.timeline(idOrCorrelationId: "c-restart-\(index)")?.messages.first?.message.state == .delivered
            }
        }
        await second.stop()
        let successes = adapter.requests.dropFirst(answeredBefore).compactMap { $0.header("webhook-id") }
        #expect(Set(successes) == Set(ids))
        #expect(successes.count == ids.count, "no message delivered twice after a 2xx")
        await adapter.stop()
    }

    @Test(arguments: StoreKind.allCases) func aDeadInstancesLeasesAreTakenOverWhenTheyExpire(_ store: StoreKind) async throws {
        let clock = ManualClock()
        let adapter = try await StandInServer.start()
        let location = try await TestStores.fresh(store)
        // Set-up through a first relay, with the endpoint disabled so nothing is delivered yet.
        let setup = try await TestRelay.start(store: store, location: location, clock: clock)
        _ = try await registerEndpoint(setup, name: "tg", url: adapter.url)
        _ = try await call(.POST, setup.baseURL + "/api/v1/endpoints/tg/disable", token: TestRelay.adminToken)
        _ = try await submit(setup, "c-orphan", extra: ["endpoints": ["tg"]])
        await setup.stop()
        // Another instance claims the message and dies without recording anything.
        let dead = try TestStores.open(location)
        var endpoint = try #require(try await dead.endpoint(idOrName: "tg"))
        endpoint.enabled = true
        try await dead.updateEndpoint(endpoint)
        let terms = LeaseTerms(defaultTimeout: 10)
        #expect(try await dead.claimDue(now: clock.now(), owner: "dead-instance", limit: 10, lease: terms).count == 1)
        try await dead.close()
        let relay = try await TestRelay.start(store: store, location: location, clock: clock)
        relay.poke()
        switch store {
        case .sqlite:
            // One serve per SQLite file: what an earlier process left in flight is returned at start, at once.
            try await eventually("taken over at start") { try await firstMessage(relay, "c-orphan")["state"] == "delivered" }
        case .postgres:
            // An owner that never heartbeated is not known to be dead: its lease is the last resort.
            try await Task.sleep(for: .milliseconds(150))
            #expect(adapter.requests.isEmpty, "the lease still holds")
            clock.advance(by: terms.duration(for: endpoint) + 1)
            relay.poke()
            try await eventually("taken over") { try await firstMessage(relay, "c-orphan")["state"] == "delivered" }
        }
        #expect(adapter.requests.count == 1)
        await relay.stop()
        await adapter.stop()
    }

    @Test(arguments: StoreKind.allCases) func replayedDeadLetterKeepsItsKeyAndHistory(_ store: StoreKind) async throws {
        try await withHarness(store: store, .status(400)) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            _ = try await submit(relay, "c-replay")
            try await eventually("dead letter") { try await firstMessage(relay, "c-replay")["state"] == "dead" }
            let list = try await call(.GET, relay.baseURL + "/api/v1/dead-letters?endpoint=tg&reason=permanent", token: TestRelay.adminToken)
            let item = try #require(list.json?["items"]?.arrayValue?.first)
            #expect(item["correlation_id"] == "c-replay" && item["kind"] == "approval")
            let id = try #require(item["message_id"]?.stringValue)
            adapter.answer([], then: .accepted)
            let replay = try await call(.POST, relay.baseURL + "/api/v1/dead-letters/\(id)/replay", token: TestRelay.adminToken)
            #expect(replay.status == 200 && replay.json?["state"] == "pending")
            try await eventually("delivered after replay") { try await firstMessage(relay, "c-replay")["state"] == "delivered" }
            #expect(adapter.requests.map { $0.header("webhook-id") } == [id, id])
            let attempts = try #require(try await firstMessage(relay, "c-replay")["attempts"]?.arrayValue)
            #expect(attempts.map { $0["status_code"] } == [400, 202])
            let again = try await call(.POST, relay.baseURL + "/api/v1/dead-letters/\(id)/replay", token: TestRelay.adminToken)
            #expect(again.status == 409)
            #expect(try await call(.POST, relay.baseURL + "/api/v1/dead-letters/msg_nope/replay", token: TestRelay.adminToken).status == 404)
            let empty = try await call(.GET, relay.baseURL + "/api/v1/dead-letters", token: TestRelay.adminToken)
            #expect(empty.json?["items"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test(arguments: StoreKind.allCases) func gracefulShutdownFinishesInFlightDeliveries(_ store: StoreKind) async throws {
        let adapter = try await StandInServer.start(CannedAnswer(status: .accepted, delay: .milliseconds(400)))
        let relay = try await TestRelay.start(store: store)
        _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
        for index in 0..<4 { _ = try await submit(relay, "c-term-\(index)") }
        try await eventually("deliveries in flight") { adapter.requests.count == 4 }
        let reader = try TestStores.open(relay.location)
        await relay.stop()
        for index in 0..<4 {
            #expect(try await reader.timeline(idOrCorrelationId: "c-term-\(index)")?.messages.first?.message.state == .delivered)
        }
        await adapter.stop()
    }

    @Test(arguments: StoreKind.allCases) func shutdownPastItsGraceReleasesTheLeases(_ store: StoreKind) async throws {
        // The answer comes long after the grace period even when a loaded machine delays the shutdown.
        let adapter = try await StandInServer.start(CannedAnswer(status: .accepted, delay: .seconds(15)))
        let relay = try await TestRelay.start(store: store, shutdownGrace: .milliseconds(100))
        _ = try await registerEndpoint(relay, name: "tg", url: adapter.url, extra: ["timeout_ms": 30000])
        _ = try await submit(relay, "c-release")
        try await eventually("delivery in flight") { adapter.requests.count == 1 }
        let reader = try TestStores.open(relay.location)
        await relay.stop()
        let message = try #require(try await reader.timeline(idOrCorrelationId: "c-release")?.messages.first?.message)
        #expect(message.state == .pending && message.attemptCount == 0, "\(message.state), \(message.attemptCount) attempts")
        await adapter.stop()
    }
}

extension Array where Element: Sendable {
    func asyncAllSatisfy(_ predicate: (Element) async throws -> Bool) async rethrows -> Bool {
        for element in self where try await !predicate(element) { return false }
        return true
    }
}
