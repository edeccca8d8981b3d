import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// SPEC §12, quorum: each delivery carries its own callback URL, so every vote names its endpoint; N distinct
/// approvals approve, any deny vetoes, a repeated vote is a duplicate, and the decision is forwarded once.
@Suite struct QuorumTests {
    @Test(arguments: StoreKind.allCases) func twoOfThreeWithADuplicateVote(_ store: StoreKind) async throws {
        let approvers = try await Approvers.start(["a", "b", "c"], store: store)
        let submitted = try await approvers.submit("q-2of3", to: ["a", "b", "c"], extra: ["approval_policy": ["min_approvals": 2]])
        #expect(submitted.status == 202, "\(submitted.text)")
        // Three deliveries, three different callback URLs.
        let urls = try await [approvers.callbackURL("a", "q-2of3"), approvers.callbackURL("b", "q-2of3"), approvers.callbackURL("c", "q-2of3")]
        #expect(Set(urls).count == 3, "\(urls)")

        let first = try await approvers.vote("a", "q-2of3")
        #expect(first.status == 200 && first.json?["state"] == "requested" && first.json?["duplicate"] == false, "\(first.text)")
        #expect(first.json?["votes"]?["approvals"] == 1 && first.json?["votes"]?["needed"] == 2)
        let again = try await approvers.vote("a", "q-2of3")
        #expect(again.status == 200 && again.json?["duplicate"] == true, "a second vote from a is a duplicate: \(again.text)")
        let otherwise = try await approvers.vote("a", "q-2of3", "deny")
        #expect(otherwise.status == 409 && otherwise.json?["code"] == "vote_refused", "a's first vote stands: \(otherwise.text)")
        #expect(approvers.forwards(of: "q-2of3").isEmpty, "one approval of two forwards nothing")

        let second = try await approvers.vote("b", "q-2of3")
        #expect(second.status == 200 && second.json?["state"] == "approved", "\(second.text)")
        try await eventually("the forward") { !approvers.forwards(of: "q-2of3").isEmpty }
        // After the decision, c's approval is the same decision again (SPEC §5: a duplicate), its denial a refusal.
        let late = try await approvers.vote("c", "q-2of3")
        #expect(late.status == 200 && late.json?["duplicate"] == true, "\(late.text)")
        let lateDeny = try await approvers.vote("c", "q-2of3", "deny")
        #expect(lateDeny.status == 409 && lateDeny.json?["code"] == "transition_refused", "\(lateDeny.text)")

        let timeline = try await timeline(approvers.relay, "q-2of3")
        #expect(timeline["state"] == "approved")
        #expect(timeline["decision_actor"] == "endpoints:a,b", "\(timeline["decision_actor"] ?? nil)")
        let policy = try #require(timeline["approval_policy"])
        #expect(policy["min_approvals"] == 2 && policy["approvals"] == 2)
        #expect(policy["votes"]?.arrayValue?.map { $0["endpoint"]?.stringValue ?? "" } == ["a", "b"])
        #expect(timeline["audit"]?.arrayValue?.map { $0["kind"]?.stringValue ?? "" } == ["vote", "vote", "decision"])
        let callbacks = timeline["callbacks"]?.arrayValue ?? []
        #expect(callbacks.map { $0["endpoint"]?.stringValue ?? "?" } == ["a", "a", "a", "b", "c", "c"], "every callback names its endpoint")
        #expect(callbacks.map { $0["outcome"]?.stringValue ?? "" } == ["applied", "duplicate", "ignored", "applied", "duplicate", "ignored"])
        // Exactly one forward, however long we look.
        try await Task.sleep(for: .milliseconds(300))
        #expect(approvers.forwards(of: "q-2of3").count == 1)
        #expect(JSONValue.parse(approvers.forwards(of: "q-2of3")[0].body)?["decision"] == "approve")
        await approvers.stop()
    }

    @Test(arguments: StoreKind.allCases) func oneDenyVetoes(_ store: StoreKind) async throws {
        let approvers = try await Approvers.start(["a", "b", "c"], store: store)
        #expect(try await approvers.submit("q-veto", to: ["a", "b", "c"], extra: ["approval_policy": ["min_approvals": 2]]).status == 202)
        #expect(try await approvers.vote("a", "q-veto").json?["state"] == "requested")
        let veto = try await approvers.vote("b", "q-veto", "deny", reason: "not in a freeze week")
        #expect(veto.status == 200 && veto.json?["state"] == "denied", "\(veto.text)")
        try await eventually("the forward") { !approvers.forwards(of: "q-veto").isEmpty }
        let forward = try #require(JSONValue.parse(approvers.forwards(of: "q-veto")[0].body))
        #expect(forward["decision"] == "deny" && forward["reason"]?.stringValue?.contains("not in a freeze week") == true, "\(forward)")
        #expect(try await timeline(approvers.relay, "q-veto")["decision_reason"]?.stringValue?.hasPrefix("denied by b") == true)
        await approvers.stop()
    }

    @Test(arguments: StoreKind.allCases) func aQuorumOutOfReachFailsAtOnce(_ store: StoreKind) async throws {
        let approvers = try await Approvers.start(["a", "b"], store: store)
        #expect(try await approvers.submit("q-reach", to: ["a", "b"], extra: ["approval_policy": ["min_approvals": 2]]).status == 202)
        // a's own wait ran out: an abstention; with b alone the quorum of two cannot be met.
        let abstained = try await approvers.vote("a", "q-reach", "error", reason: "approval timeout")
        #expect(abstained.status == 200 && abstained.json?["state"] == "failed", "\(abstained.text)")
        #expect(try await timeline(approvers.relay, "q-reach")["decision_reason"]?.stringValue?.contains("can no longer be met") == true)
        await approvers.stop()
    }

    @Test(arguments: StoreKind.allCases) func aSharedTokenDoorCannotVote(_ store: StoreKind) async throws {
        let approvers = try await Approvers.start(["a", "b"], store: store)
        #expect(try await approvers.submit("q-shared", to: ["a", "b"], extra: ["approval_policy": ["min_approvals": 2]]).status == 202)
        let shared = try await call(.POST, approvers.relay.baseURL + "/approvals/webhook", token: TestRelay.callbackToken,
                                    body: json(["correlation_id": "q-shared", "decision": "approve", "reason": "ok"]))
        #expect(shared.status == 409 && shared.json?["code"] == "vote_refused", "\(shared.text)")
        #expect(shared.json?["message"]?.stringValue?.contains("callback URL the delivery carried") == true)
        let kept = try await timeline(approvers.relay, "q-shared")
        #expect(kept["state"] == "requested" && kept["callbacks"]?.arrayValue?.first?["outcome"] == "ignored")
        await approvers.stop()
    }

    /// Nothing is stored when a quorum could never be met.
    @Test(arguments: StoreKind.allCases) func aQuorumLargerThanItsEndpointsIsRefused(_ store: StoreKind) async throws {
        let approvers = try await Approvers.start(["a", "b"], store: store)
        let refused = try await approvers.submit("q-big", to: ["a", "b"], extra: ["approval_policy": ["min_approvals": 3]])
        #expect(refused.status == 422 && refused.json?["code"] == "quorum_unreachable" && refused.json?["field"] == "approval_policy.min_approvals",
                "\(refused.text)")
        let execution = try await call(.POST, approvers.relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                       headers: ["Idempotency-Key": "q-exec"], body: json([
                                           "kind": "execution", "correlation_id": "q-exec", "tool": ["name": "run"],
                                           "callback": ["url": "http://127.0.0.1:1/x"], "approval_policy": ["min_approvals": 1],
                                       ]))
        #expect(execution.status == 400 && execution.json?["field"] == "approval_policy", "\(execution.text)")
        let zero = try await approvers.submit("q-zero", to: ["a"], extra: ["approval_policy": ["min_approvals": 0]])
        #expect(zero.status == 400 && zero.json?["field"] == "approval_policy.min_approvals", "\(zero.text)")
        for key in ["q-big", "q-exec", "q-zero"] {
            #expect(try await call(.GET, approvers.relay.baseURL + "/api/v1/requests/\(key)", token: TestRelay.adminToken).status == 404)
        }
        await approvers.stop()
    }
}
