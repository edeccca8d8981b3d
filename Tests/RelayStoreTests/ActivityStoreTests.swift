import Foundation
import RelayCore
import RelayStore
import RelayTestSupport
import Testing

/// The console's activity figures: requests by state, and per endpoint the attempts since a time with
/// the latest failure among them; attempts before the time do not count.
@Suite struct ActivityStoreTests {
    @Test(arguments: allStores) func countsAttemptsPerEndpointSinceATimeWithTheLatestFailure(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let (good, bad) = (makeEndpoint("good"), makeEndpoint("bad"))
        try await store.createEndpoint(good)
        try await store.createEndpoint(bad)
        for name in ["r1", "r2"] { _ = try await store.submit(makeRequest(name, endpoints: [good, bad], key: "key-\(name)")) }
        #expect(try await store.activity(since: t0).requestsByState == ["requested": 2])
        // Round one at t0: everything fails. Round two at t0 + 100: good delivers, bad fails with a 503.
        for (round, at) in [(1, t0), (2, t0.addingTimeInterval(100))] {
            for claimed in try await store.claimDue(now: at, owner: "one", limit: 10, lease: lease) {
                let delivered = round == 2 && claimed.message.endpointName == "good"
                let status = delivered ? 200 : (round == 1 ? 500 : 503)
                #expect(try await store.complete(planner: noForwards, AttemptCompletion(
                    messageId: claimed.message.id, leaseToken: claimed.leaseToken,
                    attempt: attempt(for: claimed, at: at, outcome: delivered ? .delivered : .retryable, status: status),
                    disposition: delivered ? .delivered : .retry(at: t0.addingTimeInterval(100)))))
            }
        }
        let all = try await store.activity(since: t0)
        #expect(all.endpoints["good"]?.delivered == 2 && all.endpoints["good"]?.failed == 2)
        #expect(all.endpoints["bad"]?.delivered == 0 && all.endpoints["bad"]?.failed == 4)
        #expect(all.endpoints["bad"]?.lastError?.contains("503") == true, "\(String(describing: all.endpoints["bad"]?.lastError))")
        #expect(all.endpoints["bad"]?.lastErrorAt == t0.addingTimeInterval(100))
        #expect(all.endpoints["good"]?.successRate == 0.5)
        #expect(all.delivered == 2 && all.failed == 6)
        let recent = try await store.activity(since: t0.addingTimeInterval(50))
        #expect(recent.endpoints["good"]?.delivered == 2 && recent.endpoints["good"]?.failed == 0)
        #expect(recent.endpoints["good"]?.lastError == nil)
        #expect(recent.endpoints["bad"]?.failed == 2)
    }
}
