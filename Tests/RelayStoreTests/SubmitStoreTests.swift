import Foundation
import RelayCore
import RelayStore
import Testing

@Suite struct SubmitStoreTests {
    @Test func submitStoresTheRequestAndItsMessages() async throws {
        let store = try await makeStore()
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        let new = makeRequest("c1", endpoints: [endpoint])
        #expect(try await store.submit(new) == .created(new.request))
        let timeline = try #require(try await store.timeline(idOrCorrelationId: "c1"))
        #expect(timeline.request == new.request)
        #expect(timeline.messages.map(\.message.id) == new.messages.map(\.id))
        #expect(try await store.timeline(idOrCorrelationId: new.request.id)?.request.id == new.request.id)
    }

    @Test func sameKeySameBodyReplaysTheFirstAnswer() async throws {
        let store = try await makeStore()
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        _ = try await store.submit(makeRequest("c1", endpoints: [endpoint], key: "k", bodyHash: "same"))
        let again = try await store.submit(makeRequest("c1-other", endpoints: [endpoint], key: "k", bodyHash: "same"))
        #expect(again == .replayed(status: 202, body: Data("first".utf8)))
        #expect(try await store.timeline(idOrCorrelationId: "c1-other") == nil)
    }

    @Test func sameKeyOtherBodyIsRefused() async throws {
        let store = try await makeStore()
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        _ = try await store.submit(makeRequest("c1", endpoints: [endpoint], key: "k", bodyHash: "one"))
        #expect(try await store.submit(makeRequest("c2", endpoints: [endpoint], key: "k", bodyHash: "two")) == .keyReused)
        #expect(try await store.timeline(idOrCorrelationId: "c2") == nil)
    }

    @Test func correlationIdIsUnique() async throws {
        let store = try await makeStore()
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        let first = makeRequest("c1", endpoints: [endpoint])
        _ = try await store.submit(first)
        #expect(try await store.submit(makeRequest("c1", endpoints: [endpoint])) == .correlationIdTaken(existing: first.request))
    }

    /// Group commit: many concurrent submits, each answered only once stored, one failure not undoing the others.
    @Test func concurrentSubmitsShareTransactionsAndFailAlone() async throws {
        let store = try await makeStore()
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

    @Test func endpointNamesAreUniqueAndBusyEndpointsStay() async throws {
        let store = try await makeStore()
        let endpoint = makeEndpoint("a")
        try await store.createEndpoint(endpoint)
        await #expect(throws: StoreError.self) { try await store.createEndpoint(makeEndpoint("a")) }
        _ = try await store.submit(makeRequest("c1", endpoints: [endpoint]))
        await #expect(throws: StoreError.self) { try await store.deleteEndpoint(id: endpoint.id) }
        #expect(try await store.endpoint(idOrName: "a") == endpoint)
    }

    @Test func migrateTwiceIsHarmlessAndReady() async throws {
        let store = try await makeStore()
        try await store.migrate()
        #expect(await store.isReady())
    }
}
