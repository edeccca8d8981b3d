import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// SPEC §14, operational events: `ops.url` hears of an endpoint disabled, a circuit opened and closed, a dead
/// letter and an expired request — signed, through the outbox (retried, never lost) — and `/metrics` shows the age
/// of the oldest message still to send.
@Suite struct OpsEventsTests {
    static let secret = WebhookSecret.generate()

    /// The events `ops` received, by type, each once however often it was sent (a retry carries the same webhook-id).
    static func events(_ ops: StandInServer) -> [(type: String, data: JSONValue, received: ReceivedRequest)] {
        var seen = Set<String>()
        return ops.requests.compactMap { received in
            guard seen.insert(received.header("webhook-id") ?? UUID().uuidString).inserted,
                  let body = JSONValue.parse(received.body), let type = body["type"]?.stringValue else { return nil }
            return (type, body["data"] ?? .null, received)
        }
    }

    @Test(arguments: StoreKind.allCases) func endpointsCircuitsDeadLettersAndExpiriesAreTold(_ store: StoreKind) async throws {
        let ops = try await StandInServer.start(.status(204))
        // The events' own receiver fails its first answer: the event is retried, not lost, and makes no event of its own.
        ops.answer([.status(503)])
        let adapter = try await StandInServer.start(.status(503))
        let clock = ManualClock(Date())
        let relay = try await TestRelay.start(store: store, clock: clock, circuit: CircuitBreaker(failureThreshold: 2, probeInterval: 5),
                                              events: OperationalEvents(url: ops.url + "/events", secret: Self.secret))
        _ = try await registerEndpoint(relay, name: "flaky", url: adapter.url + "/flaky", extra: ["max_attempts": 100])
        _ = try await registerEndpoint(relay, name: "gone", url: adapter.url + "/gone")
        adapter.respond { $0.path == "/gone" ? .status(410) : .status(503) }

        // Two failures in a row open flaky's circuit; gone's 410 disables it and dead-letters its delivery.
        #expect(try await submit(relay, "ops-1", extra: ["endpoints": ["flaky", "gone"], "timeout_sec": 86400]).status == 202)
        try await eventually("circuit opened, endpoint disabled, dead letter", advancing: clock, by: 0.5, on: relay) {
            let types = Set(Self.events(ops).map(\.type))
            return types.isSuperset(of: ["endpoint.circuit_opened", "endpoint.disabled", "message.dead_lettered"])
        }
        let disabled = try #require(Self.events(ops).first { $0.type == "endpoint.disabled" })
        #expect(disabled.data["endpoint"] == "gone" && disabled.data["reason"]?.stringValue?.contains("410") == true)
        let dead = try #require(Self.events(ops).first { $0.type == "message.dead_lettered" })
        #expect(dead.data["reason"] == "permanent" && dead.data["endpoint"] == "gone" && dead.data["purpose"] == "delivery")
        let opened = try #require(Self.events(ops).first { $0.type == "endpoint.circuit_opened" })
        #expect(opened.data["endpoint"] == "flaky" && opened.data["consecutive_failures"] == 2)
        // Signed with ops.secret, as the official library checks it; the first answer (503) was retried under the same id.
        #expect(try await officialVerification(secret: Self.secret.description, received: disabled.received) == nil)

        // The adapter recovers; the next probe closes the circuit.
        adapter.respond { $0.path == "/gone" ? .status(410) : .accepted }
        try await eventually("circuit closed", advancing: clock, by: 1, on: relay) { Self.events(ops).contains { $0.type == "endpoint.circuit_closed" } }

        // A request nobody decides expires: its event, and its delivery still waiting becomes a dead letter with reason deadline.
        adapter.respond { _ in .status(503) }
        #expect(try await submit(relay, "ops-2", extra: ["endpoints": ["flaky"], "timeout_sec": 60]).status == 202)
        try await eventually("ops-2's first attempt") { adapter.requests.contains { JSONValue.parse($0.body)?["correlation_id"] == "ops-2" } }
        clock.advance(by: 61)
        relay.poke()
        try await eventually("request.expired", advancing: clock, by: 1, on: relay) {
            Self.events(ops).contains { $0.type == "request.expired" && $0.data["correlation_id"] == "ops-2" }
        }
        try await eventually("its delivery dead-lettered", advancing: clock, by: 1, on: relay) {
            Self.events(ops).contains { $0.type == "message.dead_lettered" && $0.data["reason"] == "deadline" }
        }
        // Every event is in the timeline of the request that caused it; none is a dead letter itself.
        let timeline = try await timeline(relay, "ops-2")
        #expect(timeline["messages"]?.arrayValue?.contains { $0["purpose"] == "event" } == true)
        #expect(!Self.events(ops).contains { $0.data["purpose"] == "event" })
        #expect(ops.requests.count > Self.events(ops).count, "the event refused with 503 was sent again, under its id")
        await relay.stop()
        await adapter.stop()
        await ops.stop()
    }

    /// `relay_oldest_pending_age_seconds` by purpose: how long the oldest message still to send has waited; 0 when none.
    @Test(arguments: StoreKind.allCases) func theOldestPendingAgeIsAGauge(_ store: StoreKind) async throws {
        let adapter = try await StandInServer.start(.status(503))
        let clock = ManualClock(Date())
        let relay = try await TestRelay.start(store: store, clock: clock, retry: RetryPolicy(base: 600, cap: 600, maxAttempts: 5, attemptTimeout: 2, connectTimeout: 1))
        _ = try await registerEndpoint(relay, name: "down", url: adapter.url)
        #expect(try await submit(relay, "age-1").status == 202)
        try await eventually("the first attempt") { !adapter.requests.isEmpty }
        clock.advance(by: 90)
        let samples = try await prometheusSamples(try await call(.GET, relay.baseURL + "/metrics").text)
        // PostgreSQL keeps microseconds: the stored creation time may be a fraction of one earlier or later.
        #expect(samples[#"relay_oldest_pending_age_seconds{purpose="delivery"}"#] ?? 0 >= 89.999, "\(samples.filter { $0.key.contains("oldest") })")
        #expect(samples[#"relay_oldest_pending_age_seconds{purpose="forward"}"#] == 0)
        await relay.stop()
        await adapter.stop()
    }

    /// Bad configuration stops the start, naming the setting.
    @Test func anOpsURLTheEgressPolicyRefusesStopsTheStart() async throws {
        let base = ["RELAY_DATABASE": CommandLineTests.database()]
        let metadata = try await CommandLineTests.run(["migrate"], environment: base.merging([
            "RELAY_OPS_URL": "http://169.254.169.254/latest", "RELAY_OPS_SECRET": Self.secret.description,
        ]) { $1 })
        #expect(metadata.status != 0 && metadata.errors.contains("ops.url") && metadata.errors.contains("egress"), "\(metadata.errors)")
        let strict = try await CommandLineTests.run(["migrate"], environment: base.merging([
            "RELAY_OPS_URL": "http://127.0.0.1:9/events", "RELAY_OPS_SECRET": Self.secret.description, "RELAY_EGRESS": "strict",
        ]) { $1 })
        #expect(strict.status != 0 && strict.errors.contains("strict egress mode"), "\(strict.errors)")
        let unsigned = try await CommandLineTests.run(["migrate"], environment: base.merging(["RELAY_OPS_URL": "http://127.0.0.1:9/events"]) { $1 })
        #expect(unsigned.status != 0 && unsigned.errors.contains("ops.secret"), "\(unsigned.errors)")
        let fine = try await CommandLineTests.run(["migrate"], environment: base.merging([
            "RELAY_OPS_URL": "http://127.0.0.1:9/events", "RELAY_OPS_SECRET": Self.secret.description,
        ]) { $1 })
        #expect(fine.status == 0, "\(fine.errors)")
    }
}
