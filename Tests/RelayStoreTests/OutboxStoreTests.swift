import Foundation
import RelayCore
import RelayStore
import RelayTestSupport
import Testing

@Suite struct OutboxStoreTests {
    @Test(arguments: allStores) func claimLeasesAndDoesNotHandOutTwice(_ kind: StoreKind) async throws {
        let (store, endpoint) = try await storeWithOneRequest(kind)
        let first = try await store.claimDue(now: t0, owner: "one", limit: 10, lease: lease)
        #expect(first.count == 1 && first[0].roundAttempt == 1 && first[0].endpoint == endpoint)
        #expect(try await store.claimDue(now: t0, owner: "two", limit: 10, lease: lease).isEmpty)
    }

    @Test(arguments: allStores) func expiredLeaseIsTakenOverAndTheStaleOwnerIsFenced(_ kind: StoreKind) async throws {
        let (store, endpoint) = try await storeWithOneRequest(kind)
        let stale = try #require(try await store.claimDue(now: t0, owner: "one", limit: 1, lease: lease).first)
        let later = t0.addingTimeInterval(lease.duration(for: endpoint) + 1)
        let fresh = try #require(try await store.claimDue(now: later, owner: "two", limit: 1, lease: lease).first)
        #expect(fresh.leaseToken > stale.leaseToken)
        let late = AttemptCompletion(messageId: stale.message.id, leaseToken: stale.leaseToken,
                                     attempt: attempt(for: stale, at: later, outcome: .delivered, status: 200), disposition: .delivered)
        #expect(try await store.complete(planner: noForwards, late) == false)
        let current = AttemptCompletion(messageId: fresh.message.id, leaseToken: fresh.leaseToken,
                                        attempt: attempt(for: fresh, at: later, outcome: .delivered, status: 200), disposition: .delivered)
        #expect(try await store.complete(planner: noForwards, current) == true)
        let timeline = try #require(try await store.timeline(idOrCorrelationId: "c1"))
        #expect(timeline.messages[0].message.state == .delivered)
        #expect(timeline.messages[0].attempts.count == 1)
    }

    /// SPEC §11: what a dead owner left in flight is claimable again at once, not a lease later.
    @Test(arguments: allStores) func aDeadOwnersLeasesAreReclaimedBeforeTheyRunOut(_ kind: StoreKind) async throws {
        let (store, _) = try await storeWithOneRequest(kind)
        // PostgreSQL: "old" is an instance with a heartbeat. SQLite: "old" was the process before this one.
        if kind == .postgres { _ = try await store.reclaimLeases(owner: "old", now: t0, instanceTimeout: 10) }
        let stale = try #require(try await store.claimDue(now: t0, owner: "old", limit: 1, lease: lease).first)
        let soon = t0.addingTimeInterval(2)
        #expect(try await store.claimDue(now: soon, owner: "new", limit: 1, lease: lease).isEmpty, "the lease holds")
        switch kind {
        case .sqlite:
            // One serve per file: whatever another owner left is returned at the new process's first call, once.
            #expect(try await store.reclaimLeases(owner: "new", now: soon, instanceTimeout: 10) == 1)
            #expect(try await store.reclaimLeases(owner: "new", now: soon, instanceTimeout: 10) == 0)
        case .postgres:
            #expect(try await store.reclaimLeases(owner: "new", now: soon, instanceTimeout: 10) == 0, "old's heartbeat is fresh")
            let afterTimeout = t0.addingTimeInterval(10.5)
            #expect(try await store.reclaimLeases(owner: "new", now: afterTimeout, instanceTimeout: 10) == 1, "old is dead")
        }
        let now = t0.addingTimeInterval(11)
        let fresh = try #require(try await store.claimDue(now: now, owner: "new", limit: 1, lease: lease).first)
        #expect(fresh.message.id == stale.message.id && fresh.leaseToken > stale.leaseToken)
        let late = AttemptCompletion(messageId: stale.message.id, leaseToken: stale.leaseToken,
                                     attempt: attempt(for: stale, at: now, outcome: .delivered, status: 200), disposition: .delivered)
        #expect(try await store.complete(planner: noForwards, late) == false, "the dead owner is fenced")
    }

    @Test(arguments: allStores) func perEndpointConcurrencyBoundsTheClaim(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let narrow = makeEndpoint("narrow", concurrency: 2)
        let wide = makeEndpoint("wide", concurrency: 8)
        try await store.createEndpoint(narrow)
        try await store.createEndpoint(wide)
        for index in 0..<5 { _ = try await store.submit(makeRequest("c\(index)", endpoints: [narrow, wide])) }
        let claimed = try await store.claimDue(now: t0, owner: "one", limit: 100, lease: lease)
        #expect(claimed.filter { $0.endpoint?.name == "narrow" }.count == 2)
        #expect(claimed.filter { $0.endpoint?.name == "wide" }.count == 5)
        #expect(try await store.claimDue(now: t0, owner: "one", limit: 100, lease: lease).isEmpty)
    }

    @Test(arguments: allStores) func retryIsDueOnlyAtItsTime(_ kind: StoreKind) async throws {
        let (store, _) = try await storeWithOneRequest(kind)
        let claimed = try #require(try await store.claimDue(now: t0, owner: "one", limit: 1, lease: lease).first)
        let retryAt = t0.addingTimeInterval(30)
        #expect(try await store.complete(planner: noForwards, AttemptCompletion(messageId: claimed.message.id, leaseToken: claimed.leaseToken,
                                                           attempt: attempt(for: claimed, at: t0), disposition: .retry(at: retryAt))))
        #expect(try await store.nextDueAt() == retryAt)
        #expect(try await store.claimDue(now: retryAt.addingTimeInterval(-1), owner: "one", limit: 1, lease: lease).isEmpty)
        let second = try #require(try await store.claimDue(now: retryAt, owner: "one", limit: 1, lease: lease).first)
        #expect(second.roundAttempt == 2 && second.message.attemptCount == 1)
    }

    @Test(arguments: allStores) func disabledEndpointsKeepTheirMessagesUnclaimed(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        var endpoint = makeEndpoint("a", enabled: false)
        try await store.createEndpoint(endpoint)
        _ = try await store.submit(makeRequest("c1", endpoints: [endpoint]))
        #expect(try await store.claimDue(now: t0, owner: "one", limit: 10, lease: lease).isEmpty)
        endpoint.enabled = true
        try await store.updateEndpoint(endpoint)
        #expect(try await store.claimDue(now: t0, owner: "one", limit: 10, lease: lease).count == 1)
    }

    @Test(arguments: allStores) func goneDisablesTheEndpoint(_ kind: StoreKind) async throws {
        let (store, _) = try await storeWithOneRequest(kind)
        let claimed = try #require(try await store.claimDue(now: t0, owner: "one", limit: 1, lease: lease).first)
        _ = try await store.complete(planner: noForwards, AttemptCompletion(messageId: claimed.message.id, leaseToken: claimed.leaseToken,
                                                       attempt: attempt(for: claimed, at: t0, outcome: .permanent, status: 410),
                                                       disposition: .dead(.permanent), disableEndpointReason: "gone"))
        let after = try #require(try await store.endpoint(idOrName: "a"))
        #expect(after.enabled == false && after.disabledReason == "gone")
    }

    @Test(arguments: allStores) func releasedLeasesAreDueAtOnce(_ kind: StoreKind) async throws {
        let (store, _) = try await storeWithOneRequest(kind)
        _ = try await store.claimDue(now: t0, owner: "one", limit: 1, lease: lease)
        #expect(try await store.releaseLeases(owner: "one", now: t0) == 1)
        #expect(try await store.claimDue(now: t0, owner: "two", limit: 1, lease: lease).count == 1)
    }

    @Test(arguments: allStores) func messagesPastTheirDeadlineBecomeDeadLetters(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        _ = try await store.submit(makeRequest("c1", endpoints: [endpoint], deadline: t0.addingTimeInterval(60)))
        #expect(try await store.deadLetterExpired(now: t0.addingTimeInterval(59), planner: noForwards) == 0)
        #expect(try await store.claimDue(now: t0.addingTimeInterval(60), owner: "one", limit: 1, lease: lease).isEmpty)
        #expect(try await store.deadLetterExpired(now: t0.addingTimeInterval(60), planner: noForwards) == 1)
        let page = try await store.deadLetters(DeadLetterQuery(reason: .deadline))
        #expect(page.items.count == 1)
    }

    @Test(arguments: allStores) func replayKeepsIdAndHistoryAndStartsANewRound(_ kind: StoreKind) async throws {
        let (store, _) = try await storeWithOneRequest(kind)
        let claimed = try #require(try await store.claimDue(now: t0, owner: "one", limit: 1, lease: lease).first)
        _ = try await store.complete(planner: noForwards, AttemptCompletion(messageId: claimed.message.id, leaseToken: claimed.leaseToken,
                                                       attempt: attempt(for: claimed, at: t0, outcome: .permanent, status: 400),
                                                       disposition: .dead(.permanent)))
        await #expect(throws: StoreError.self) { _ = try await store.replay(messageId: "msg_nope", now: t0, deadline: t0) }
        let replayed = try await store.replay(messageId: claimed.message.id, now: t0.addingTimeInterval(5), deadline: t0.addingTimeInterval(7200))
        #expect(replayed.id == claimed.message.id && replayed.state == .pending && replayed.attemptCount == 1)
        await #expect(throws: StoreError.self) { _ = try await store.replay(messageId: claimed.message.id, now: t0, deadline: t0) }
        let again = try #require(try await store.claimDue(now: t0.addingTimeInterval(5), owner: "one", limit: 1, lease: lease).first)
        #expect(again.roundAttempt == 1 && again.message.id == claimed.message.id)
        #expect(try await store.timeline(idOrCorrelationId: "c1")?.messages[0].attempts.count == 1)
    }

    @Test(arguments: allStores) func deadLetterPagingAndFilters(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let a = makeEndpoint("a")
        let b = makeEndpoint("b")
        try await store.createEndpoint(a)
        try await store.createEndpoint(b)
        for index in 0..<7 { _ = try await store.submit(makeRequest("c\(index)", endpoints: [a, b])) }
        let claimed = try await store.claimDue(now: t0, owner: "one", limit: 100, lease: lease)
        for (index, message) in claimed.enumerated() {
            _ = try await store.complete(planner: noForwards, AttemptCompletion(
                messageId: message.message.id, leaseToken: message.leaseToken,
                attempt: attempt(for: message, at: t0.addingTimeInterval(Double(index))),
                disposition: .dead(message.endpoint?.name == "a" ? .exhausted : .permanent)))
        }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await store.deadLetters(DeadLetterQuery(endpoint: "a", cursor: cursor, limit: 3))
            seen += page.items.map(\.message.id)
            #expect(page.items.allSatisfy { $0.message.endpointName == "a" && $0.message.deadReason == .exhausted })
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen.count == 7 && Set(seen).count == 7)
        #expect(try await store.deadLetters(DeadLetterQuery(reason: .permanent, limit: 100)).items.count == 7)
        #expect(try await store.deadLetters(DeadLetterQuery(kind: .execution)).items.isEmpty)
        #expect(try await store.deadLetters(DeadLetterQuery(since: t0.addingTimeInterval(100))).items.isEmpty)
    }
}
