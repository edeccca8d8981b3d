import Foundation
import RelayCore
import RelayStore
import RelayTestSupport
import Testing

/// What only a store shared by several processes has to get right: two instances on one database.
@Suite struct PostgresStoreTests {
    /// Two stores (two connection pools, as two relay processes have) on one fresh database.
    func twoInstances() async throws -> (any RelayStore, any RelayStore) {
        let location = try await TestStores.fresh(.postgres)
        let one = try TestStores.open(location)
        try await one.migrate()
        let two = try TestStores.open(location)
        try await two.migrate()  // concurrent or repeated migrations are harmless
        return (one, two)
    }

    @Test func racingInstancesNeverClaimOneMessageTwiceAndKeepTheEndpointLimit() async throws {
        let (one, two) = try await twoInstances()
        let endpoint = makeEndpoint("narrow", concurrency: 3)
        try await one.createEndpoint(endpoint)
        for index in 0..<40 { _ = try await one.submit(makeRequest("race-\(index)", endpoints: [endpoint])) }
        async let fromOne = one.claimDue(now: t0, owner: "one", limit: 10, lease: lease)
        async let fromTwo = two.claimDue(now: t0, owner: "two", limit: 10, lease: lease)
        let claimed = try await fromOne + fromTwo
        #expect(claimed.count == 3, "the endpoint's limit of 3 holds across instances, got \(claimed.count)")
        #expect(Set(claimed.map(\.message.id)).count == claimed.count)

        // Rounds of concurrent claims from both instances until all are out: no message is handed to two
        // claims. (While one instance claims for an endpoint the other skips it, so rounds overlap freely.)
        let wide = makeEndpoint("wide", concurrency: 1000)
        try await one.createEndpoint(wide)
        for index in 0..<200 { _ = try await one.submit(makeRequest("wide-\(index)", endpoints: [wide])) }
        var handedOut: [String] = []
        for _ in 0..<50 where handedOut.count < 200 {
            handedOut += try await withThrowingTaskGroup(of: [String].self) { group in
                for round in 0..<6 {
                    let store = round.isMultiple(of: 2) ? one : two
                    group.addTask { try await store.claimDue(now: t0, owner: "o\(round)", limit: 20, lease: lease).map(\.message.id) }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
        }
        #expect(Set(handedOut).count == handedOut.count, "a message was handed to two claims")
        #expect(handedOut.count == 200)
    }

    /// On PostgreSQL every statement is a round trip, the cost that sets its throughput (issue 16): the hot paths are
    /// held to their count here, so a change that adds one shows before the benchmark does.
    @Test func theHotPathsKeepTheirRoundTrips() async throws {
        guard case .postgres(let url) = try await TestStores.fresh(.postgres) else { return }
        let driver = try PostgresDriver(url: url, maxConnections: 4)
        let store = StoreEngine(driver: driver)
        try await store.migrate()
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        var mark = driver.statements
        func sent() -> Int {
            defer { mark = driver.statements }
            return driver.statements - mark
        }

        _ = try await store.submit(makeRequest("trips", endpoints: [endpoint], key: "k"))
        #expect(sent() == 5, "a submit: BEGIN, its key and correlation id looked up, one statement for the request, its delivery, its key and the wake-up, COMMIT")
        let claimed = try #require(try await store.claimDue(now: t0, owner: "w", limit: 1, lease: lease).first)
        _ = sent()
        #expect(try await store.complete(planner: noForwards, AttemptCompletion(messageId: claimed.message.id, leaseToken: claimed.leaseToken,
                                                                                attempt: attempt(for: claimed, at: t0, outcome: .delivered, status: 202),
                                                                                disposition: .delivered)))
        #expect(sent() == 4, "a delivered attempt: BEGIN, the fenced update returning the endpoint's circuit, the attempt, COMMIT")
        let outcome = try await store.decide(.correlationId("trips", kind: nil), NormalizedDecision(decision: .approved),
                                             source: DecisionSource(path: .capability, door: "capability", endpoint: "a", body: Data("{}".utf8)),
                                             planner: noForwards, now: t0.addingTimeInterval(1))
        guard case .moved = outcome else { Issue.record("\(outcome)"); return }
        #expect(sent() == 5, """
            a decision: BEGIN, the request locked, its deliveries, one statement for the new state, the forward, the callback \
            record, both notifications and the audit record linked under the head's lock, COMMIT
            """)
    }

    /// A statement holds at most `maxFragments` writes, so that a step of thousands (a sweep's dead letters with their
    /// events) stays under PostgreSQL's 65,535 binds: a submit to 250 endpoints is three statements of writes.
    @Test func aLongStepIsSplitIntoStatementsOfAHundredWrites() async throws {
        guard case .postgres(let url) = try await TestStores.fresh(.postgres) else { return }
        let driver = try PostgresDriver(url: url, maxConnections: 4)
        let store = StoreEngine(driver: driver)
        try await store.migrate()
        let endpoints = (0..<250).map { makeEndpoint("wide-\($0)") }
        for endpoint in endpoints { try await store.createEndpoint(endpoint) }
        let before = driver.statements
        guard case .created = try await store.submit(makeRequest("wide", endpoints: endpoints)) else { Issue.record("not created"); return }
        // BEGIN, the correlation id, 100 + 100 + 51 writes (the request, 250 deliveries) with the wake-up, COMMIT
        #expect(driver.statements - before == 6)
        #expect(try await store.timeline(idOrCorrelationId: "wide")?.messages.count == 250)
    }

    /// Each decision links its audit record in the statement that locks the chain's head: decisions racing on two
    /// instances still make one unbroken chain, one entry each.
    @Test func decisionsRacingOnTwoInstancesMakeOneUnbrokenChain() async throws {
        let (one, two) = try await twoInstances()
        let endpoint = makeEndpoint("a")
        try await one.createEndpoint(endpoint)
        let count = 60
        for index in 0..<count { _ = try await one.submit(makeRequest("chain-\(index)", endpoints: [endpoint])) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                let store = index.isMultiple(of: 2) ? one : two
                group.addTask {
                    let outcome = try await store.decide(.correlationId("chain-\(index)", kind: nil),
                                                         NormalizedDecision(decision: index.isMultiple(of: 3) ? .denied : .approved),
                                                         source: DecisionSource(path: .capability, door: "capability", endpoint: "a",
                                                                                body: Data("{\"i\":\(index)}".utf8)),
                                                         planner: noForwards, now: t0.addingTimeInterval(1))
                    guard case .moved = outcome else { throw StoreError.conflict("chain-\(index): \(outcome)") }
                }
            }
            try await group.waitForAll()
        }
        let entries = try await one.auditEntries(AuditQuery(limit: 1000))
        #expect(entries.map(\.seq) == Array(1...Int64(count)))
        #expect(AuditChain.firstBreak(in: entries) == nil)
        #expect(Set(entries.map(\.record.correlationId)).count == count)
        #expect(try await two.auditHead() == AuditHead(seq: Int64(count), hash: entries.last?.hash ?? ""))
    }

    @Test func aCommitOnOneInstanceWakesTheOther() async throws {
        let (one, two) = try await twoInstances()
        let signals = one.dueSignals()
        var iterator = signals.makeAsyncIterator()
        _ = await iterator.next()  // the first signal says "listening; look once"
        let endpoint = makeEndpoint("a")
        try await two.createEndpoint(endpoint)
        let woken = Task { await iterator.next() != nil }
        try await Task.sleep(for: .milliseconds(100))
        _ = try await two.submit(makeRequest("wake", endpoints: [endpoint]))
        let timeout = Task { try await Task.sleep(for: .seconds(5)); woken.cancel() }
        #expect(await woken.value, "no NOTIFY reached the other instance")
        timeout.cancel()
    }

    /// One submit sent again to the other instance while the first is still committing (a client that timed out
    /// and retried): every copy is the one request or its replay, never "correlation_id taken" by itself.
    @Test func theSameKeyOnTwoInstancesAtOnceIsOneRequestAndItsReplays() async throws {
        let (one, two) = try await twoInstances()
        let endpoint = makeEndpoint("a")
        try await one.createEndpoint(endpoint)
        var outcomes: [String: Int] = [:]
        for round in 0..<150 {
            let results = try await withThrowingTaskGroup(of: String.self) { group in
                for copy in 0..<8 {
                    let store = copy.isMultiple(of: 2) ? one : two
                    group.addTask {
                        switch try await store.submit(makeRequest("same-\(round)", endpoints: [endpoint], key: "key-\(round)")) {
                        case .created: "created"
                        case .replayed: "replayed"
                        case .correlationIdTaken: "correlation id taken"
                        case .keyReused: "key reused"
                        case .approvalRequestIdOpen: "approval request id open"
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(results.filter { $0 == "created" }.count == 1, "round \(round): \(results)")
            for result in results { outcomes[result, default: 0] += 1 }
        }
        #expect(Set(outcomes.keys) == ["created", "replayed"], "\(outcomes)")
    }
}
