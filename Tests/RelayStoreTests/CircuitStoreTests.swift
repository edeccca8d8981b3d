import Foundation
import RelayCore
import RelayStore
import RelayTestSupport
import Testing

/// Circuit open / probe / close with an injected clock: a failing endpoint is paused after a run of
/// failures, probed with single deliveries, and closed by the first success. Its messages wait.
@Suite struct CircuitStoreTests {
    func fail(_ store: any RelayStore, _ claimed: ClaimedMessage, at date: Date) async throws {
        _ = try await store.complete(planner: noForwards, AttemptCompletion(
            messageId: claimed.message.id, leaseToken: claimed.leaseToken, attempt: attempt(for: claimed, at: date),
            disposition: .retry(at: date)))
    }

    @Test(arguments: allStores) func openProbeClose(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind, circuit: CircuitBreaker(failureThreshold: 3, probeInterval: 30))
        let endpoint = makeEndpoint("flaky", concurrency: 8)
        try await store.createEndpoint(endpoint)
        for index in 0..<5 { _ = try await store.submit(makeRequest("c\(index)", endpoints: [endpoint])) }

        // Three failures in a row open the circuit.
        let first = try await store.claimDue(now: t0, owner: "one", limit: 3, lease: lease)
        #expect(first.count == 3)
        for claimed in first { try await fail(store, claimed, at: t0) }
        let open = try #require(try await store.endpoint(idOrName: "flaky"))
        // (the fixture's attempts last 5 ms, so the circuit opens at t0 + 0.005 s)
        #expect(open.consecutiveFailures == 3 && abs(open.nextProbeAt!.timeIntervalSince(t0) - 30.005) < 0.001)
        #expect(try await store.claimDue(now: t0.addingTimeInterval(29), owner: "one", limit: 10, lease: lease).isEmpty)

        // Half-open: exactly one probe, and no second one while it is out.
        let probe = try await store.claimDue(now: t0.addingTimeInterval(31), owner: "one", limit: 10, lease: lease)
        #expect(probe.count == 1)
        #expect(try await store.claimDue(now: t0.addingTimeInterval(32), owner: "one", limit: 10, lease: lease).isEmpty)
        try await fail(store, try #require(probe.first), at: t0.addingTimeInterval(32))
        #expect(abs(try #require(try await store.endpoint(idOrName: "flaky")?.nextProbeAt).timeIntervalSince(t0) - 62.005) < 0.001)
        #expect(try await store.claimDue(now: t0.addingTimeInterval(62), owner: "one", limit: 10, lease: lease).isEmpty)

        // A successful probe closes it; everything kept flows again.
        let second = try #require(try await store.claimDue(now: t0.addingTimeInterval(63), owner: "one", limit: 10, lease: lease).first)
        _ = try await store.complete(planner: noForwards, AttemptCompletion(
            messageId: second.message.id, leaseToken: second.leaseToken,
            attempt: attempt(for: second, at: t0.addingTimeInterval(63), outcome: .delivered, status: 202), disposition: .delivered))
        let closed = try #require(try await store.endpoint(idOrName: "flaky"))
        #expect(closed.consecutiveFailures == 0 && closed.nextProbeAt == nil)
        #expect(try await store.claimDue(now: t0.addingTimeInterval(64), owner: "one", limit: 10, lease: lease).count == 4)
    }

    @Test func theCircuitStateIsDerivedInOnePlace() {
        let breaker = CircuitBreaker(failureThreshold: 2, probeInterval: 10)
        #expect(CircuitBreaker.state(nextProbeAt: nil, now: t0) == .closed)
        #expect(CircuitBreaker.state(nextProbeAt: t0.addingTimeInterval(1), now: t0) == .open)
        #expect(CircuitBreaker.state(nextProbeAt: t0, now: t0) == .probing)
        #expect(breaker.nextProbe(afterSuccess: false, consecutiveFailures: 1, wasOpen: false, now: t0) == nil)
        #expect(breaker.nextProbe(afterSuccess: false, consecutiveFailures: 2, wasOpen: false, now: t0) == t0.addingTimeInterval(10))
        #expect(breaker.nextProbe(afterSuccess: true, consecutiveFailures: 0, wasOpen: true, now: t0) == nil)
    }
}
