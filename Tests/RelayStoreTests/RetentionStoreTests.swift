import Foundation
import RelayCore
import RelayStore
import RelayTestSupport
import Testing

/// Retention (SPEC §8): decided requests with nothing left to deliver go, with their messages, attempts
/// and idempotency keys, in batches; open requests and undelivered forwards stay.
@Suite struct RetentionStoreTests {
    /// Claims everything due at `now` and records each as delivered.
    func deliverEverythingDue(_ store: any RelayStore, at now: Date) async throws {
        for claimed in try await store.claimDue(now: now, owner: "one", limit: 100, lease: lease) {
            #expect(try await store.complete(planner: noForwards, AttemptCompletion(
                messageId: claimed.message.id, leaseToken: claimed.leaseToken,
                attempt: attempt(for: claimed, at: now, outcome: .delivered, status: 200), disposition: .delivered
            )))
        }
    }

    @Test(arguments: allStores) func purgesFinishedRequestsInBatchesAndKeepsEverythingStillOwed(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        for name in ["done1", "done2", "forwardOwed", "open"] {
            _ = try await store.submit(makeRequest(name, endpoints: [endpoint], key: "key-\(name)"))
        }
        try await deliverEverythingDue(store, at: t0)
        let decidedAt = t0.addingTimeInterval(10)
        for name in ["done1", "done2", "forwardOwed"] {
            let outcome = try await store.decide(.correlationId(name, kind: nil), NormalizedDecision(decision: .approved),
                                                 planner: noForwards, now: decidedAt)
            guard case .moved = outcome else { Issue.record("\(name) did not move: \(outcome)"); return }
        }
        // The forwards of done1 and done2 are delivered; forwardOwed's stays pending.
        let forwards = try await store.claimDue(now: decidedAt, owner: "one", limit: 100, lease: lease)
        #expect(forwards.count == 3)
        let owedId = try #require(try await store.timeline(idOrCorrelationId: "forwardOwed")).request.id
        for claimed in forwards where claimed.message.requestId != owedId {
            #expect(try await store.complete(planner: noForwards, AttemptCompletion(
                messageId: claimed.message.id, leaseToken: claimed.leaseToken,
                attempt: attempt(for: claimed, at: decidedAt, outcome: .delivered, status: 200), disposition: .delivered)))
        }
        #expect(try await store.purgeFinished(before: decidedAt, limit: 10) == PurgeResult(), "nothing is older than the cutoff yet")
        let cutoff = decidedAt.addingTimeInterval(1)
        #expect(try await store.purgeFinished(before: cutoff, limit: 1) == PurgeResult(requests: 1, messages: 2, attempts: 2))
        #expect(try await store.purgeFinished(before: cutoff, limit: 1) == PurgeResult(requests: 1, messages: 2, attempts: 2))
        #expect(try await store.purgeFinished(before: cutoff, limit: 1) == PurgeResult(), "the rest is still owed or open")
        #expect(try await store.timeline(idOrCorrelationId: "done1") == nil)
        #expect(try await store.timeline(idOrCorrelationId: "done2") == nil)
        #expect(try await store.timeline(idOrCorrelationId: "forwardOwed") != nil)
        #expect(try await store.timeline(idOrCorrelationId: "open") != nil)
        // The idempotency key went with its request: the same key now makes a new request.
        guard case .created = try await store.submit(makeRequest("done1", endpoints: [endpoint], key: "key-done1")) else {
            Issue.record("a purged request's idempotency key still answered"); return
        }
        let counts = try await store.outboxCounts()
        #expect(counts.byState == [.pending: 1, .inflight: 1, .delivered: 2, .dead: 0, .abandoned: 0, .superseded: 0])
    }

    @Test(arguments: allStores) func deadLettersOfAFinishedRequestGoWithIt(_ kind: StoreKind) async throws {
        let (store, _) = try await storeWithOneRequest(kind)
        let claimed = try #require(try await store.claimDue(now: t0, owner: "one", limit: 1, lease: lease).first)
        #expect(try await store.complete(planner: noForwards, AttemptCompletion(
            messageId: claimed.message.id, leaseToken: claimed.leaseToken,
            attempt: attempt(for: claimed, at: t0, outcome: .permanent, status: 400), disposition: .dead(.permanent))))
        #expect(try await store.outboxCounts().deadByReason[.permanent] == 1)
        _ = try await store.expireDue(now: t0.addingTimeInterval(7200), planner: ForwardPlanner(contracts: noForwards.contracts, forwardWindow: 60), limit: 10)
        // The expired forward to the callback URL is still owed until its own deadline dead-letters it.
        #expect(try await store.purgeFinished(before: t0.addingTimeInterval(9000), limit: 10) == PurgeResult())
        #expect(try await store.deadLetterExpired(now: t0.addingTimeInterval(8000), planner: noForwards) == 1)
        #expect(try await store.purgeFinished(before: t0.addingTimeInterval(9000), limit: 10) == PurgeResult(requests: 1, messages: 2, attempts: 1))
        #expect(try await store.outboxCounts() == OutboxCounts(byState: [.pending: 0, .inflight: 0, .delivered: 0, .dead: 0, .abandoned: 0, .superseded: 0],
                                                               deadByReason: [.permanent: 0, .exhausted: 0, .deadline: 0]))
    }
}
