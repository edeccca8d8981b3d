import Foundation
import RelayCore
import RelayStore
import RelayTestSupport
import Testing

/// SPEC §12 at the store, on both stores: escalation steps come due by the clock given, supersede and notices are
/// written with the decision, votes are counted per endpoint, and every decision extends one verifiable chain.
@Suite struct LifecycleStoreTests {
    static let factory = DeliveryFactory(capability: CallbackCapability(key: Array(repeating: 1, count: 32), publicURL: "http://relay"))

    /// A request to `endpoints` with `lifecycle`, its deliveries made as the application makes them.
    static func request(_ correlationId: String, to endpoints: [Endpoint], lifecycle: RequestLifecycle = .standard) -> NewRequest {
        var new = makeRequest(correlationId, endpoints: [])
        new.request.lifecycle = lifecycle
        new.request.payload = Data(#"{"correlation_id":"\#(correlationId)"}"#.utf8)
        new.messages = factory.deliveries(requestId: new.request.id, body: Data("{}".utf8), to: endpoints, deadline: new.request.deadline, now: t0)
        return new
    }

    @Test(arguments: allStores) func escalationStepsComeDueInOrderAndNeverAfterADecision(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let (first, oncall, lead) = (makeEndpoint("first"), makeEndpoint("oncall"), makeEndpoint("lead"))
        for endpoint in [first, oncall, lead] { try await store.createEndpoint(endpoint) }
        let steps = [EscalationStep(afterSec: 60, endpoints: [EndpointRef(id: oncall.id, name: "oncall")]),
                     EscalationStep(afterSec: 120, endpoints: [EndpointRef(id: lead.id, name: "lead")])]
        let lifecycle = RequestLifecycle(escalation: steps, eligibleEndpoints: 3)
        _ = try await store.submit(Self.request("esc", to: [first], lifecycle: lifecycle))
        _ = try await store.submit(Self.request("esc-decided", to: [first], lifecycle: lifecycle))
        _ = try await store.decide(.correlationId("esc-decided", kind: nil), NormalizedDecision(decision: .approved), planner: noForwards, now: t0)

        #expect(try await store.escalateDue(now: t0.addingTimeInterval(59), deliveries: Self.factory, limit: 10).isEmpty)
        let fired = try await store.escalateDue(now: t0.addingTimeInterval(60), deliveries: Self.factory, limit: 10)
        #expect(fired.map(\.endpoints) == [["oncall"]], "\(fired)")
        #expect(try await store.escalateDue(now: t0.addingTimeInterval(61), deliveries: Self.factory, limit: 10).isEmpty, "each step once")
        let timeline = try #require(try await store.timeline(idOrCorrelationId: "esc"))
        #expect(timeline.messages.map(\.message.endpointName) == ["first", "oncall"])
        #expect(timeline.request.lifecycle.escalated == 1)
        let oncallDelivery = try #require(timeline.messages.last?.message)
        #expect(oncallDelivery.callbackTokenHash == Self.factory.capability.tokenHash(for: timeline.request.id, delivery: oncallDelivery.id))
        #expect(try await store.capability(tokenHash: try #require(oncallDelivery.callbackTokenHash))?.endpoint == "oncall")
        // Both steps overdue at once (the relay was down): the rest fires, in order.
        let late = try await store.escalateDue(now: t0.addingTimeInterval(500), deliveries: Self.factory, limit: 10)
        #expect(late.map(\.endpoints) == [["lead"]])
        #expect(try await store.timeline(idOrCorrelationId: "esc-decided")?.messages.count == 2, "the decided request's delivery and forward only")
    }

    @Test(arguments: allStores) func aDecisionSupersedesUnsentDeliveriesAndNotifiesThoseShownIt(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        var shown = makeEndpoint("shown")
        shown.settings.resolutionURL = "http://127.0.0.1:9/resolved"
        var unsent = makeEndpoint("unsent")
        unsent.settings.resolutionURL = "http://127.0.0.1:9/resolved-too"
        let decider = makeEndpoint("decider")
        for endpoint in [shown, unsent, decider] { try await store.createEndpoint(endpoint) }
        _ = try await store.submit(Self.request("sup", to: [shown, unsent, decider]))
        // `shown` and `decider` are delivered; `unsent` never got its turn.
        let all = try await store.claimDue(now: t0, owner: "w", limit: 10, lease: lease)
        for claimed in all where claimed.endpoint?.name != "unsent" {
            _ = try await store.complete(planner: noForwards, AttemptCompletion(messageId: claimed.message.id, leaseToken: claimed.leaseToken,
                                                                             attempt: attempt(for: claimed, at: t0, outcome: .delivered, status: 202),
                                                                             disposition: .delivered))
        }
        // `unsent`'s claim is given back, as a stopping relay would.
        _ = try await store.releaseLeases(owner: "w", now: t0)
        let outcome = try await store.decide(.correlationId("sup", kind: nil), NormalizedDecision(decision: .approved),
                                             source: DecisionSource(path: .capability, door: "capability", endpoint: "decider", body: Data("{}".utf8)),
                                             planner: noForwards, now: t0.addingTimeInterval(1))
        guard case .moved(let moved) = outcome else { Issue.record("\(outcome)"); return }
        #expect(moved.decisionActor == "endpoint:decider")
        let timeline = try #require(try await store.timeline(idOrCorrelationId: "sup"))
        let states = Dictionary(uniqueKeysWithValues: timeline.messages.filter { $0.message.purpose == .delivery }.map { ($0.message.endpointName, $0.message.state) })
        #expect(states == ["shown": .delivered, "unsent": .superseded, "decider": .delivered], "\(states)")
        let notices = timeline.messages.filter { $0.message.purpose == .notice }.map(\.message)
        #expect(notices.map(\.endpointName) == ["shown"], "only an endpoint shown the request, not the one that decided")
        #expect(notices.first?.url == "http://127.0.0.1:9/resolved")
        #expect(JSONValue.parse(notices.first?.body ?? Data())?["data"]?["decided_by"] == "decider")
        // A notice keeps its own URL when claimed (a delivery's is the endpoint's current one).
        let claimedNotice = try await store.claimDue(now: t0.addingTimeInterval(2), owner: "w", limit: 10, lease: lease).filter { $0.message.purpose == .notice }
        #expect(claimedNotice.count == 1 && claimedNotice.first?.message.url == "http://127.0.0.1:9/resolved", "\(claimedNotice)")
        #expect(try await store.outboxCounts().deadByReason.values.reduce(0, +) == 0, "nothing superseded is a dead letter")
    }

    @Test(arguments: allStores) func votesAreCountedPerEndpointAndTheChainVerifies(_ kind: StoreKind) async throws {
        let store = try await makeStore(kind)
        let endpoints = ["a", "b", "c"].map { makeEndpoint($0) }
        for endpoint in endpoints { try await store.createEndpoint(endpoint) }
        _ = try await store.submit(Self.request("quorum", to: endpoints, lifecycle: RequestLifecycle(minApprovals: 2, eligibleEndpoints: 3)))
        func vote(_ endpoint: String, _ decision: Decision, at seconds: TimeInterval) async throws -> DecisionOutcome {
            try await store.decide(.correlationId("quorum", kind: nil), NormalizedDecision(decision: decision, reason: "r"),
                                   source: DecisionSource(path: .capability, door: "capability", endpoint: endpoint, body: Data("{\"v\":1}".utf8)),
                                   planner: noForwards, now: t0.addingTimeInterval(seconds))
        }
        guard case .voted(_, 1, 2) = try await vote("a", .approved, at: 1) else { Issue.record("a's vote"); return }
        guard case .duplicate = try await vote("a", .approved, at: 2) else { Issue.record("a again"); return }
        guard case .voteRefused = try await vote("a", .denied, at: 3) else { Issue.record("a otherwise"); return }
        guard case .moved(let approved) = try await vote("b", .approved, at: 4) else { Issue.record("b's vote"); return }
        #expect(approved.state == .approved && approved.decisionActor == "endpoints:a,b")
        let timeline = try #require(try await store.timeline(idOrCorrelationId: "quorum"))
        #expect(timeline.votes.map(\.endpoint) == ["a", "b"])
        #expect(timeline.messages.filter { $0.message.purpose == .forward }.count == 1, "forwarded once")
        #expect(timeline.audit.map(\.record.kind) == ["vote", "vote", "decision"])
        #expect(timeline.audit.first?.record.bodySHA256 == Fingerprint.sha256Hex(Data("{\"v\":1}".utf8)))

        // The chain as stored: intact, and its head is its last entry.
        let entries = try await store.auditEntries(AuditQuery())
        #expect(entries.map(\.seq) == [1, 2, 3])
        #expect(AuditChain.firstBreak(in: entries) == nil)
        #expect(try await store.auditHead() == AuditHead(seq: 3, hash: entries[2].hash))
        // An expiry is an entry too.
        _ = try await store.submit(Self.request("expires", to: [endpoints[0]]))
        #expect(try await store.expireDue(now: t0.addingTimeInterval(7200), planner: noForwards, limit: 10).count == 1)
        let after = try await store.auditEntries(AuditQuery(afterSeq: 3))
        #expect(after.map(\.record.kind) == ["expiry"] && after.first?.record.path == "expiry")
        #expect(AuditChain.firstBreak(in: entries + after) == nil)
    }
}
