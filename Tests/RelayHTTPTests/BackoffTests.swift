import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// Backoff and deadlines with an injected clock: time moves only when the test says so.
@Suite struct BackoffTests {
    /// The default policy (base 2 s), jitter pinned at its lower bound, so the waits are exact.
    static func relay(clock: ManualClock, store: StoreKind) async throws -> TestRelay {
        try await TestRelay.start(store: store, clock: clock, random: FixedRandom(0), retry: .standard)
    }

    @Test(arguments: StoreKind.allCases) func retryWaitsForItsBackoffOnTheInjectedClock(_ store: StoreKind) async throws {
        let clock = ManualClock()
        let adapter = try await StandInServer.start(.accepted)
        adapter.answer([.status(503), .status(503)])
        let relay = try await Self.relay(clock: clock, store: store)
        _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
        _ = try await submit(relay, "c-backoff")
        try await eventually("first attempt") { try await firstMessage(relay, "c-backoff")["attempt_count"] == 1 }
        // 1st retry: d = 2 s, lower bound 1 s.
        #expect(try await firstMessage(relay, "c-backoff")["due_at"]?.stringValue == ISO8601.string(clock.now().addingTimeInterval(1)))
        relay.poke()
        try await Task.sleep(for: .milliseconds(150))
        #expect(adapter.requests.count == 1, "nothing is due before the clock moves")
        clock.advance(by: 1)
        relay.poke()
        try await eventually("second attempt") { try await firstMessage(relay, "c-backoff")["attempt_count"] == 2 }
        // 2nd retry: d = 4 s, lower bound 2 s.
        #expect(try await firstMessage(relay, "c-backoff")["due_at"]?.stringValue == ISO8601.string(clock.now().addingTimeInterval(2)))
        clock.advance(by: 2)
        relay.poke()
        try await eventually("delivered") { try await firstMessage(relay, "c-backoff")["state"] == "delivered" }
        #expect(adapter.requests.count == 3)
        await relay.stop()
        await adapter.stop()
    }

    @Test(arguments: StoreKind.allCases) func retryAfterIsHonoured(_ store: StoreKind) async throws {
        let clock = ManualClock()
        let adapter = try await StandInServer.start(.accepted)
        adapter.answer([CannedAnswer(status: .tooManyRequests, headers: [.retryAfter: "120"])])
        let relay = try await Self.relay(clock: clock, store: store)
        _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
        _ = try await submit(relay, "c-429")
        try await eventually("first attempt") { try await firstMessage(relay, "c-429")["attempt_count"] == 1 }
        #expect(try await firstMessage(relay, "c-429")["due_at"]?.stringValue == ISO8601.string(clock.now().addingTimeInterval(120)))
        await relay.stop()
        await adapter.stop()
    }

    @Test(arguments: StoreKind.allCases) func noRetryIsScheduledPastTheRequestsDeadline(_ store: StoreKind) async throws {
        let clock = ManualClock()
        let adapter = try await StandInServer.start(.status(503))
        let relay = try await Self.relay(clock: clock, store: store)
        _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
        // Deadline in 4 s: the 1st retry (≥ 1 s) fits, the 2nd (≥ 2 s more) fits, the 3rd (≥ 4 s more) does not.
        _ = try await submit(relay, "c-deadline", extra: ["timeout_sec": 4])
        try await eventually("first attempt") { try await firstMessage(relay, "c-deadline")["attempt_count"] == 1 }
        clock.advance(by: 1)
        relay.poke()
        try await eventually("second attempt") { try await firstMessage(relay, "c-deadline")["attempt_count"] == 2 }
        clock.advance(by: 2)
        relay.poke()
        try await eventually("dead letter") { try await firstMessage(relay, "c-deadline")["state"] == "dead" }
        let message = try await firstMessage(relay, "c-deadline")
        #expect(message["dead_reason"] == "deadline" && message["attempt_count"] == 3)
        await relay.stop()
        await adapter.stop()
    }
}
