import Foundation
import RelayCore
import RelayStore
import RelayTestSupport
import Testing

/// SPEC §11 at the store: decisions check the deadline themselves, an approval_request_id names one open
/// request, and sign-outs are kept for every instance.
@Suite struct HardeningStoreTests {
    @Test(arguments: allStores) func aDecisionAfterTheDeadlineIsRefusedBeforeTheSweepRuns(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        _ = try await store.submit(makeRequest("late", endpoints: [], deadline: t0.addingTimeInterval(60)))
        let justBefore = try await store.decide(.correlationId("late", kind: nil), NormalizedDecision(decision: .approved, reason: "ok"),
                                                planner: noForwards, now: t0.addingTimeInterval(59))
        guard case .moved = justBefore else { Issue.record("before the deadline: \(justBefore)"); return }

        _ = try await store.submit(makeRequest("later", endpoints: [], deadline: t0.addingTimeInterval(60)))
        // No expireDue has run: the decision path itself sees the deadline, expires the request and refuses.
        let after = try await store.decide(.correlationId("later", kind: nil), NormalizedDecision(decision: .approved, reason: "ok"),
                                           planner: noForwards, now: t0.addingTimeInterval(60.5))
        guard case .refused(let request) = after else { Issue.record("after the deadline: \(after)"); return }
        #expect(request.state == .expired)
        let timeline = try #require(try await store.timeline(idOrCorrelationId: "later"))
        #expect(timeline.request.state == .expired)
        #expect(timeline.messages.filter { $0.message.purpose == .forward }.count == 1, "the expiry is forwarded, once")
        #expect(try await store.expireDue(now: t0.addingTimeInterval(61), planner: noForwards, limit: 10).isEmpty, "nothing left to sweep")
    }

    @Test(arguments: allStores) func anApprovalRequestIdNamesOneOpenRequest(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        var first = makeRequest("first", endpoints: [])
        first.request.approvalRequestId = 77
        guard case .created = try await store.submit(first) else { Issue.record("first"); return }
        var second = makeRequest("second", endpoints: [])
        second.request.approvalRequestId = 77
        guard case .approvalRequestIdOpen(let existing) = try await store.submit(second) else { Issue.record("second was stored"); return }
        #expect(existing.correlationId == "first")
        #expect(try await store.timeline(idOrCorrelationId: "second") == nil, "nothing stored half-way")
        // Once the first is final, the id is free again, and a contract-B callback finds the open one.
        _ = try await store.decide(.correlationId("first", kind: nil), NormalizedDecision(decision: .denied), planner: noForwards, now: t0)
        guard case .created = try await store.submit(second) else { Issue.record("second after the first was decided"); return }
        let found = try await store.request(.approvalRequestId(77))
        #expect(found?.correlationId == "second")
    }

    /// A database an earlier version left readable by everyone is tightened when the store opens it.
    @Test func aLooseSQLiteFileIsTightenedWhenOpened() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-modes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("relay.sqlite").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]))
        let store = try StoreEngine.sqlite(path: path)
        try await store.migrate()
        for file in [path, path + "-wal", path + "-shm"] {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "\(file): \(String(mode, radix: 8))")
        }
        try await store.close()
    }

    @Test(arguments: allStores) func aSignedOutSessionStaysRevoked(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        #expect(try await store.isConsoleSessionRevoked(nonce: "n1") == false)
        try await store.revokeConsoleSession(nonce: "n1", expiresAt: t0.addingTimeInterval(3600), now: t0)
        try await store.revokeConsoleSession(nonce: "n1", expiresAt: t0.addingTimeInterval(3600), now: t0)
        #expect(try await store.isConsoleSessionRevoked(nonce: "n1"))
        #expect(try await store.isConsoleSessionRevoked(nonce: "n2") == false)
    }
}
