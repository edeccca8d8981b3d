import Foundation
import RelayCore
import RelayStore
import RelayTestSupport
import Testing

@Suite struct SubmitStoreTests {
    @Test(arguments: allStores) func submitStoresTheRequestAndItsMessages(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        let new = makeRequest("c1", endpoints: [endpoint])
        #expect(try await store.submit(new) == .created(new.request))
        let timeline = try #require(try await store.timeline(idOrCorrelationId: "c1"))
        #expect(timeline.request == new.request)
        #expect(timeline.messages.map(\.message.id) == new.messages.map(\.id))
        #expect(try await store.timeline(idOrCorrelationId: new.request.id)?.request.id == new.request.id)
    }

    @Test(arguments: allStores) func sameKeySameBodyReplaysTheFirstAnswer(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        _ = try await store.submit(makeRequest("c1", endpoints: [endpoint], key: "k", bodyHash: "same"))
        let again = try await store.submit(makeRequest("c1-other", endpoints: [endpoint], key: "k", bodyHash: "same"))
        #expect(again == .replayed(status: 202, body: Data("first".utf8)))
        #expect(try await store.timeline(idOrCorrelationId: "c1-other") == nil)
    }

    @Test(arguments: allStores) func sameKeyOtherBodyIsRefused(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        _ = try await store.submit(makeRequest("c1", endpoints: [endpoint], key: "k", bodyHash: "one"))
        #expect(try await store.submit(makeRequest("c2", endpoints: [endpoint], key: "k", bodyHash: "two")) == .keyReused)
        #expect(try await store.timeline(idOrCorrelationId: "c2") == nil)
    }

    @Test(arguments: allStores) func correlationIdIsUnique(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        let first = makeRequest("c1", endpoints: [endpoint])
        _ = try await store.submit(first)
        #expect(try await store.submit(makeRequest("c1", endpoints: [endpoint])) == .correlationIdTaken(existing: first.request))
    }

    /// Group commit: many concurrent submits, each answered only once stored, one failure not undoing the others.
    @Test(arguments: allStores) func concurrentSubmitsShareTransactionsAndFailAlone(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        let outcomes = try await withThrowingTaskGroup(of: (Int, SubmitOutcome).self) { group in
            for index in 0..<300 {
                // Request 7 and 8 share a correlation id: exactly one of them must be refused.
                let correlation = index == 8 ? "c7" : "c\(index)"
                group.addTask { (index, try await store.submit(makeRequest(correlation, endpoints: [endpoint]))) }
            }
            return try await group.reduce(into: [Int: SubmitOutcome]()) { $0[$1.0] = $1.1 }
        }
        let created = outcomes.values.filter { if case .created = $0 { true } else { false } }.count
        #expect(created == 299)
        let refused = [outcomes[7]!, outcomes[8]!].filter { if case .correlationIdTaken = $0 { true } else { false } }
        #expect(refused.count == 1)
        for index in [0, 150, 299] {
            #expect(try await store.timeline(idOrCorrelationId: "c\(index)")?.messages.count == 1)
        }
    }

    @Test(arguments: allStores) func endpointNamesAreUniqueAndBusyEndpointsStay(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        await #expect(throws: StoreError.self) { try await store.createEndpoint(makeEndpoint("a")) }
        _ = try await store.submit(makeRequest("c1", endpoints: [endpoint]))
        await #expect(throws: StoreError.self) { try await store.deleteEndpoint(id: endpoint.id) }
        #expect(try await store.endpoint(idOrName: "a") == endpoint)
    }

    @Test(arguments: allStores) func migrateTwiceIsHarmlessAndReady(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        try await store.migrate()
        #expect(await store.isReady())
    }
}
