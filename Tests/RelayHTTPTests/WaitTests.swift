import Foundation
import NIOHTTP1
import RelayApplication
import RelayCore
import RelayTestSupport
import Testing

/// SPEC §12, waiting for the decision: `GET …/decision?wait=` and `Prefer: wait` on submit answer as soon as the
/// request is resolved — here or, on PostgreSQL, on another instance — else when the wait is over.
@Suite struct WaitTests {
    @Test(arguments: StoreKind.allCases) func aWaitEndsWithTheDecisionOrWhenItIsOver(_ store: StoreKind) async throws {
        let approvers = try await Approvers.start(["a"], store: store)
        let relay = approvers.relay.baseURL
        #expect(try await approvers.submit("w-1", to: ["a"]).status == 202)
        _ = try await approvers.callbackURL("a", "w-1")

        let started = ContinuousClock.now
        let waiting = Task { try await call(.GET, relay + "/api/v1/requests/w-1/decision?wait=20", token: TestRelay.submitToken) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await approvers.vote("a", "w-1").status == 200)
        let answer = try await waiting.value
        let waited = ContinuousClock.now - started
        #expect(answer.status == 200 && answer.json?["state"] == "approved" && answer.json?["decision"] == "approved", "\(answer.text)")
        #expect(answer.json?["decided_at"] != nil && answer.json?["correlation_id"] == "w-1")
        #expect(waited < .seconds(10), "ended by the decision, not the wait: \(waited)")

        // No decision: the answer comes when the wait is over, with the request as it stands.
        #expect(try await approvers.submit("w-2", to: ["a"]).status == 202)
        let idle = ContinuousClock.now
        let open = try await call(.GET, relay + "/api/v1/requests/w-2/decision?wait=1", token: TestRelay.adminToken)
        #expect(open.status == 200 && open.json?["state"] == "requested" && open.json?["decision"] == nil, "\(open.text)")
        #expect(ContinuousClock.now - idle >= .milliseconds(900))
        let immediate = try await call(.GET, relay + "/api/v1/requests/w-1/decision", token: TestRelay.submitToken)
        #expect(immediate.json?["state"] == "approved")

        // Bad input: past the maximum, not a number; no such request; no token.
        let tooLong = try await call(.GET, relay + "/api/v1/requests/w-2/decision?wait=61", token: TestRelay.submitToken)
        #expect(tooLong.status == 400 && tooLong.json?["field"] == "wait", "\(tooLong.text)")
        #expect(try await call(.GET, relay + "/api/v1/requests/w-2/decision?wait=soon", token: TestRelay.submitToken).json?["field"] == "wait")
        #expect(try await call(.GET, relay + "/api/v1/requests/nope/decision", token: TestRelay.submitToken).status == 404)
        #expect(try await call(.GET, relay + "/api/v1/requests/w-2/decision").status == 401)
        await approvers.stop()
    }

    /// `Prefer: wait` (RFC 7240) on submit: a synchronous approver decides within the wait, so the answer is the
    /// decision (200, `Preference-Applied`); without a decision in time it is the usual 202.
    @Test(arguments: StoreKind.allCases) func preferWaitOnSubmit(_ store: StoreKind) async throws {
        let approvers = try await Approvers.start(["sync", "async"], store: store)
        approvers.adapter.respond { $0.path == "/sync" ? .status(200, body: #"{"decision":"approve","reason":"policy allows it"}"#) : .accepted }
        let decided = try await approvers.submit("p-1", to: ["sync"], headers: ["Prefer": "respond-async, wait=10"])
        #expect(decided.status == 200 && decided.json?["decision"] == "approved", "\(decided.text)")
        #expect(decided.headers.first(name: "Preference-Applied") == "wait=10")
        // Longer than the maximum: honoured up to it (a preference, not a demand).
        let pending = try await approvers.submit("p-2", to: ["async"], headers: ["Prefer": "wait=1"])
        #expect(pending.status == 202 && pending.json?["state"] == "requested", "\(pending.text)")
        #expect(pending.headers.first(name: "Preference-Applied") == nil)
        let capped = try await approvers.submit("p-3", to: ["sync"], headers: ["Prefer": "wait=999"])
        #expect(capped.status == 200 && capped.headers.first(name: "Preference-Applied") == "wait=60", "\(capped.text)")
        await approvers.stop()
    }

    /// Two relays on one PostgreSQL database: a wait on one ends when the other takes the decision. The waiters'
    /// own re-read is set far beyond the test, so only the other instance's signal (NOTIFY) can end it.
    @Test func aDecisionOnAnotherInstanceEndsTheWait() async throws {
        var policy = RelayApplication.Policy()
        policy.decisionRecheck = .seconds(300)
        let approvers = try await Approvers.start(["a"], store: .postgres, policy: policy)
        let other = try await TestRelay.start(store: .postgres, location: approvers.relay.location, policy: policy)
        #expect(try await approvers.submit("w-far", to: ["a"]).status == 202)
        let url = try await approvers.callbackURL("a", "w-far")
        let started = ContinuousClock.now
        let waiting = Task { try await call(.GET, approvers.relay.baseURL + "/api/v1/requests/w-far/decision?wait=30", token: TestRelay.adminToken) }
        try await Task.sleep(for: .milliseconds(500))
        // The same capability, answered through the other instance.
        let otherURL = url.replacingOccurrences(of: approvers.relay.baseURL, with: other.baseURL)
        let decided = try await call(.POST, otherURL, body: json(["decision": "approve", "reason": "from the other instance"]))
        #expect(decided.status == 200 && decided.json?["state"] == "approved", "\(decided.text)")
        let answer = try await waiting.value
        #expect(answer.json?["state"] == "approved", "\(answer.text)")
        #expect(ContinuousClock.now - started < .seconds(15), "ended by the other instance's decision")
        await other.stop()
        await approvers.stop()
    }
}
