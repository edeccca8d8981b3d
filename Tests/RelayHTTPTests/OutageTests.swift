import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// Peers that go away and come back (issue 6): nothing is lost.
@Suite struct OutageTests {
    @Test(arguments: StoreKind.allCases) func anAdapterDownMostOfItsRetryWindowGetsTheDeliveryWhenBack(_ store: StoreKind) async throws {
        let reserved = try ReservedPort()  // bound, not listening: every attempt is refused
        let port = reserved.port
        let relay = try await TestRelay.start(
            store: store, retry: RetryPolicy(base: 0.05, cap: 0.4, maxAttempts: 12, attemptTimeout: 1, connectTimeout: 1)
        )
        _ = try await registerEndpoint(relay, name: "tg", url: "http://127.0.0.1:\(port)/approve")
        _ = try await submit(relay, "c-outage")
        // AsyncHTTPClient retries a refused connect within the connect timeout, so each attempt takes about 1 s.
        try await eventually("three refused attempts", timeout: .seconds(30)) {
            let message = try await firstMessage(relay, "c-outage")
            #expect(message["state"] != "delivered" && message["state"] != "dead", "the adapter was not up yet: \(message)")
            return message["attempt_count"]?.int64Value ?? 0 >= 3
        }
        let adapter = try await StandInServer.start(.accepted, port: port)
        reserved.release()
        try await eventually("delivered once the adapter is back", timeout: .seconds(30)) {
            try await firstMessage(relay, "c-outage")["state"] == "delivered"
        }
        let attempts = try await firstMessage(relay, "c-outage")["attempts"]?.arrayValue ?? []
        #expect(attempts.dropLast().allSatisfy { $0["outcome"] == "retryable" }, "\(attempts.map { $0["error"] })")
        // At least once: an attempt that timed out while the adapter came up may have reached it too.
        #expect(!adapter.requests.isEmpty && Set(adapter.requests.map { $0.header("webhook-id") ?? "?" }).count == 1)
        await relay.stop()
        await adapter.stop()
    }

    /// A control plane that is down behind its load balancer (503 to everything): the forwards wait, and
    /// once it is back they reach it in the order their retries fell due.
    @Test(arguments: StoreKind.allCases) func forwardsWaitForADownControlPlaneAndDrainInOrderOfDueTime(_ store: StoreKind) async throws {
        let clock = ManualClock()
        let adapter = try await StandInServer.start()
        let controlPlane = try await StandInServer.start(.status(503))
        // One forward in flight at a time, so the order in which they are claimed is the order they arrive.
        let relay = try await TestRelay.start(store: store, clock: clock, random: FixedRandom(0),
                                              retry: RetryPolicy(base: 20, cap: 600, maxAttempts: 15, attemptTimeout: 2, connectTimeout: 1),
                                              forwardConcurrency: 1)
        _ = try await registerEndpoint(relay, name: "tg", url: adapter.url + "/approve")
        let names = (0..<5).map { "c-down-\($0)" }
        for name in names {
            _ = try await submit(relay, name, extra: ["callback": ["url": .string(controlPlane.url + "/decisions")]])
        }
        try await eventually("five deliveries") { adapter.requests.count == 5 }
        // Decided in reverse order of their submits, one second apart: each forward's first attempt gets a
        // 503 and its retry falls due 10 s later (base 20, no jitter), one second after the previous one's.
        for name in names.reversed() {
            let delivery = try #require(adapter.requests.first { JSONValue.parse($0.body)?["correlation_id"]?.stringValue == name })
            let url = try #require(JSONValue.parse(delivery.body)?["callback"]?["url"]?.stringValue)
            #expect(try await call(.POST, url, body: json(["decision": "approve"])).status == 200)
            try await eventually("the forward of \(name) answered 503 once") {
                let message = try await forward(relay, name)
                return message?["attempt_count"] == 1 && message?["state"] == "pending"
            }
            clock.advance(by: 1)
        }
        var dueAt: [String: String] = [:]
        for name in names {
            dueAt[name] = try await forward(relay, name)?["due_at"]?.stringValue
        }
        #expect(Set(dueAt.values).count == names.count, "each forward due at a time of its own: \(dueAt)")
        #expect(controlPlane.requests.count == 5)
        controlPlane.answer([], then: .status(200))
        clock.advance(by: 600)
        relay.poke()
        try await eventually("every forward drained") { controlPlane.requests.count == 10 }
        let arrived = controlPlane.requests.dropFirst(5).compactMap { JSONValue.parse($0.body)?["correlation_id"]?.stringValue }
        #expect(Set(arrived) == Set(names))
        let arrivalDueTimes = arrived.compactMap { dueAt[$0] }  // ISO 8601 in UTC: sorts as time
        #expect(arrivalDueTimes == arrivalDueTimes.sorted(), "forwards drained in order of due time: \(arrived) due \(arrivalDueTimes)")
        #expect(arrived == names.reversed(), "the first decided is the first due")
        try await eventually("every forward recorded as delivered") {
            for name in names where try await forward(relay, name)?["state"] != "delivered" { return false }
            return true
        }
        await relay.stop()
        await adapter.stop()
        await controlPlane.stop()
    }

    /// The forward message of a request, from its timeline.
    func forward(_ relay: TestRelay, _ name: String) async throws -> JSONValue? {
        try await timeline(relay, name)["messages"]?.arrayValue?.first { $0["purpose"] == "forward" }
    }
}
