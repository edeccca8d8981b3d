import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// Peers that go away and come back (issue 6): nothing is lost, and what waited drains in order.
@Suite struct OutageTests {
    @Test(arguments: StoreKind.allCases) func anAdapterDownMostOfItsRetryWindowGetsTheDeliveryWhenBack(_ store: StoreKind) async throws {
        let port = try freePort()  // nothing listens here yet: every attempt is refused
        let relay = try await TestRelay.start(
            store: store, retry: RetryPolicy(base: 0.05, cap: 0.4, maxAttempts: 12, attemptTimeout: 1, connectTimeout: 1)
        )
        _ = try await registerEndpoint(relay, name: "tg", url: "http://127.0.0.1:\(port)/approve")
        _ = try await submit(relay, "c-outage")
        try await eventually("eight refused attempts") { try await firstMessage(relay, "c-outage")["attempt_count"]?.int64Value ?? 0 >= 8 }
        let adapter = try await StandInServer.start(.accepted, port: port)
        try await eventually("delivered once the adapter is back") {
            try await firstMessage(relay, "c-outage")["state"] == "delivered"
        }
        let attempts = try await firstMessage(relay, "c-outage")["attempts"]?.arrayValue ?? []
        #expect(attempts.dropLast().allSatisfy { $0["outcome"] == "retryable" && $0["error"]?.stringValue?.contains("refused") == true },
                "\(attempts.map { $0["error"] })")
        #expect(adapter.requests.count == 1)
        await relay.stop()
        await adapter.stop()
    }

    @Test(arguments: StoreKind.allCases) func forwardsWaitForADownControlPlaneAndDrainInOrderOfDueTime(_ store: StoreKind) async throws {
        let clock = ManualClock()
        let port = try freePort()
        let adapter = try await StandInServer.start()
        // One forward in flight at a time, so the order in which they are claimed is the order they arrive.
        let relay = try await TestRelay.start(store: store, clock: clock, random: FixedRandom(0),
                                              retry: RetryPolicy(base: 2, cap: 600, maxAttempts: 15, attemptTimeout: 1, connectTimeout: 1),
                                              forwardConcurrency: 1)
        _ = try await registerEndpoint(relay, name: "tg", url: adapter.url + "/approve")
        let names = (0..<5).map { "c-down-\($0)" }
        for name in names {
            _ = try await submit(relay, name, extra: ["callback": ["url": .string("http://127.0.0.1:\(port)/decisions")]])
        }
        try await eventually("five deliveries") { adapter.requests.count == 5 }
        // Decided one second apart: each forward's first attempt is refused and its retry falls due one second
        // after the previous one's.
        for name in names {
            let delivery = try #require(adapter.requests.first { JSONValue.parse($0.body)?["correlation_id"]?.stringValue == name })
            let url = try #require(JSONValue.parse(delivery.body)?["callback"]?["url"]?.stringValue)
            #expect(try await call(.POST, url, body: json(["decision": "approve"])).status == 200)
            try await eventually("the forward of \(name) refused once") {
                try await forward(relay, name)?["attempt_count"] == 1
            }
            clock.advance(by: 1)
        }
        // Time stands still now: once no attempt is in flight, each forward waits for its retry, due at a
        // time of its own.
        var dueAt: [String: String] = [:]
        try await eventually("every forward waiting for its retry") {
            for name in names where try await forward(relay, name)?["state"] != "pending" { return false }
            return true
        }
        for name in names {
            dueAt[name] = try await forward(relay, name)?["due_at"]?.stringValue
        }
        #expect(dueAt.count == names.count)
        let controlPlane = try await StandInServer.start(.status(200), port: port)
        clock.advance(by: 600)
        relay.poke()
        try await eventually("every forward drained") { controlPlane.requests.count == 5 }
        let arrived = controlPlane.requests.compactMap { JSONValue.parse($0.body)?["correlation_id"]?.stringValue }
        #expect(Set(arrived) == Set(names))
        let arrivalDueTimes = arrived.compactMap { dueAt[$0] }  // ISO 8601 in UTC: sorts as time
        #expect(arrivalDueTimes == arrivalDueTimes.sorted(), "forwards drained in order of due time: \(arrived) due \(arrivalDueTimes)")
        await relay.stop()
        await adapter.stop()
        await controlPlane.stop()
    }

    /// The forward message of a request, from its timeline.
    func forward(_ relay: TestRelay, _ name: String) async throws -> JSONValue? {
        try await timeline(relay, name)["messages"]?.arrayValue?.first { $0["purpose"] == "forward" }
    }
}
