import Foundation
import RelayCore
import Testing

/// SPEC §12's pure rules, row by row: the quorum count, the audit chain's links, the validation of the new submit
/// fields, and how a cancel reads to each receiver.
@Suite struct LifecycleRulesTests {
    static let t = Date(timeIntervalSince1970: 1_800_000_000)

    func vote(_ endpoint: String, _ decision: Decision) -> Vote {
        Vote(endpoint: endpoint, decision: decision, reason: "r-\(endpoint)", path: .capability, castAt: Self.t)
    }

    /// (prior votes, new vote, N, eligible) → outcome.
    @Test func quorumRows() {
        func cast(_ prior: [Vote], _ new: Vote, _ needed: Int, _ eligible: Int) -> QuorumRule.Outcome {
            QuorumRule.cast(new, prior: prior, minApprovals: needed, eligible: eligible)
        }
        #expect(cast([], vote("a", .approved), 2, 3) == .counted(approvals: 1))
        #expect(cast([vote("a", .approved)], vote("a", .approved), 2, 3) == .duplicate(vote("a", .approved)))
        #expect(cast([vote("a", .approved)], vote("a", .denied), 2, 3) == .conflicting(first: vote("a", .approved)))
        guard case .decided(let approved) = cast([vote("a", .approved)], vote("b", .approved), 2, 3) else { Issue.record("2 of 3"); return }
        #expect(approved.decision == .approved && approved.actor == "endpoints:a,b" && approved.reason == "approved by a and b (2 of 2 required)")
        guard case .decided(let vetoed) = cast([vote("a", .approved)], vote("b", .denied), 2, 3) else { Issue.record("veto"); return }
        #expect(vetoed.decision == .denied && vetoed.reason == "denied by b: r-b" && vetoed.actor == "endpoint:b")
        // An abstention with enough endpoints left: counted; without: the request fails.
        #expect(cast([], vote("a", .failed), 2, 3) == .counted(approvals: 0))
        guard case .decided(let failed) = cast([vote("a", .failed)], vote("b", .expired), 2, 3) else { Issue.record("out of reach"); return }
        #expect(failed.decision == .failed && failed.reason?.hasPrefix("the quorum can no longer be met: 0 of 2 approvals, 1 endpoint(s) left") == true)
        // `applied` approves; one approval is enough for N = 1.
        guard case .decided(let one) = cast([], vote("a", .applied), 1, 1) else { Issue.record("N = 1"); return }
        #expect(one.decision == .approved)
    }

    @Test func auditChainLinksAndItsBreaks() {
        let records = (1...3).map { index in
            AuditRecord(kind: "decision", recordedAtMs: 1_000 * Int64(index), requestId: "req_\(index)", correlationId: "c\(index)",
                        path: "capability", endpoint: "a", actor: nil, decision: "approved", reason: "ok", bodySHA256: nil)
        }
        let chain = AuditChain.append(records, after: .genesis)
        #expect(chain.map(\.seq) == [1, 2, 3] && chain[0].previousHash == AuditChain.genesis && chain[1].previousHash == chain[0].hash)
        #expect(AuditChain.firstBreak(in: chain) == nil)
        // Continuing after a head gives the same links as one append.
        #expect(AuditChain.append(Array(records[2...]), after: AuditHead(seq: 2, hash: chain[1].hash)) == [chain[2]])

        var altered = chain
        altered[1].record.reason = "changed"
        #expect(AuditChain.firstBreak(in: altered)?.seq == 2 && AuditChain.firstBreak(in: altered)?.problem.contains("altered") == true)
        var rehashed = altered
        rehashed[1].hash = AuditChain.hash(seq: 2, rehashed[1].record, previous: rehashed[1].previousHash)
        #expect(AuditChain.firstBreak(in: rehashed)?.seq == 3, "re-hashing the altered entry breaks the next link")
        #expect(AuditChain.firstBreak(in: [chain[0], chain[2]])?.problem.contains("missing") == true)
        #expect(AuditChain.firstBreak(in: [chain[1], chain[0], chain[2]])?.seq == 2)
        // The hash covers every field, the kind included.
        var kind = chain
        kind[0].record.kind = "vote"
        #expect(AuditChain.firstBreak(in: kind)?.seq == 1)
    }

    /// PostgreSQL links an entry in the statement that locks the head, hashing the template around the head's values:
    /// the same bytes as the chain's own hash, whatever the fields hold (quotes, the key's own name, no reason).
    @Test func auditTemplateHashesLikeTheChain() {
        let records = [
            AuditRecord(kind: "decision", recordedAtMs: 1_700_000_000_123, requestId: "req_1", correlationId: "c1", path: "capability",
                        endpoint: "a", actor: "endpoint:a", decision: "approved", reason: "ok", bodySHA256: String(repeating: "ab", count: 32)),
            AuditRecord(kind: "vote", recordedAtMs: 0, requestId: "req_\"previous_hash\":\"\(AuditChain.genesis)\"", correlationId: "ç/\\n",
                        path: "admin", endpoint: nil, actor: nil, decision: "denied", reason: #"a "quoted", \ reason, "seq":0}"#),
        ]
        for record in records {
            let (beforePrevious, beforeSeq) = AuditChain.template(record)
            for (seq, previous) in [(Int64(1), AuditChain.genesis), (9_007_199_254_740_993, String(repeating: "f", count: 64))] {
                let bytes = beforePrevious + Data(previous.utf8) + beforeSeq + Data("\(seq)}".utf8)
                #expect(Fingerprint.sha256Hex(bytes) == AuditChain.hash(seq: seq, record, previous: previous), "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    static let body: [String: JSONValue] = [
        "kind": "approval", "correlation_id": "c", "tool": "t", "justification": "justified enough", "approval_request": "asking nicely",
        "risk_assessment": "a small risk only",
    ]

    typealias Row = (extra: [String: JSONValue], field: String?)
    static let step: JSONValue = ["after_sec": 60, "endpoints": ["x"]]
    /// (extra fields, the field named, or nil when valid).
    static let submitRows: [Row] = [
        (["approval_policy": ["min_approvals": 2]], nil),
        (["approval_policy": ["min_approvals": 0]], "approval_policy.min_approvals"),
        (["approval_policy": ["min_approvals": 33]], "approval_policy.min_approvals"),
        (["approval_policy": ["min_approvals": "2"]], "approval_policy.min_approvals"),
        (["approval_policy": ["min_approval": 2]], "approval_policy.min_approval"),
        (["approval_policy": 2], "approval_policy"),
        (["escalation": [["after_sec": 60, "endpoints": ["x", "x", "y"]]]], nil),
        (["escalation": [["after_sec": 0, "endpoints": ["x"]]]], "escalation[0].after_sec"),
        (["escalation": [["after_sec": 60, "endpoints": []]]], "escalation[0].endpoints"),
        (["escalation": [["after_sec": 60, "endpoints": [""]]]], "escalation[0].endpoints"),
        (["escalation": [["after_sec": 60, "endpoints": ["x"], "when": "now"]]], "escalation[0].when"),
        // Their order is checked where the request is made (422 there, see EscalationTests).
        (["escalation": [step, ["after_sec": 90, "endpoints": ["y"]]]], nil),
        (["escalation": .array(Array(repeating: step, count: 11))], "escalation"),
        (["escalation": step], "escalation"),
    ]

    @Test(arguments: submitRows)
    func newSubmitFields(_ extra: [String: JSONValue], _ field: String?) {
        switch SubmissionValidator.validate(JSONValue.object(Self.body.merging(extra) { $1 }).encoded(), door: .native) {
        case .success(let submission):
            #expect(field == nil, "accepted, but \(field ?? "") should have been refused")
            #expect(submission.payload["approval_policy"] == nil && submission.payload["escalation"] == nil, "not passed on to adapters")
            if extra["escalation"]?.arrayValue?.count == 1 { #expect(submission.escalation == [EscalationRequest(afterSec: 60, endpointNames: ["x", "y"])]) }
        case .failure(let error):
            #expect(error.field == field, "\(error.message)")
        }
    }

    @Test func theDropInDoorsPassTheNewFieldsOnUntouched() throws {
        // yaml-mcp-server never sends them; on its doors they are just unknown fields, kept for the adapter.
        let body = JSONValue.object(Self.body.merging(["approval_policy": ["min_approvals": 5]]) { $1 }).encoded()
        let submission = try SubmissionValidator.validate(body, door: .dropIn(.approval)).get()
        #expect(submission.minApprovals == nil && submission.payload["approval_policy"] != nil)
    }

    @Test func aCancelReadsAsAnErrorOrAFailureWhereThereIsNoWordForIt() {
        #expect(Cancellation.reason(nil) == "cancelled" && Cancellation.reason("  ") == "cancelled: " + "  " || Cancellation.reason("  ") == "cancelled: " + "  ")
        #expect(Cancellation.reason("withdrawn") == "cancelled: withdrawn")
        // No peer cancels through a callback: contract B's `cancelled` is refused like any unknown decision.
        #expect(throws: DecisionError.self) { try DecisionNormalization.normalize(.codex(decision: "cancelled", reason: nil, actor: nil)).get() }
        #expect(RequestTransitions.apply(.cancelled, to: .requested) == .moved(to: .cancelled))
        #expect(RequestTransitions.apply(.cancelled, to: .cancelled) == .duplicate)
        #expect(RequestTransitions.apply(.cancelled, to: .approved) == .refused(current: .approved))
    }

    @Test func aResolutionNoticeNamesWhoDecided() {
        var request = RelayRequest(id: "req_1", kind: .approval, correlationId: "c1", approvalRequestId: nil, tool: "deploy", state: .approved,
                                   payload: Data("{}".utf8), callbackURL: nil, deadline: Self.t, createdAt: Self.t, updatedAt: Self.t,
                                   decisionReason: "fine")
        request.decisionActor = "endpoint:b"
        let body = ResolutionNotice.body(request, decidedBy: "b", at: Self.t)
        #expect(body["type"] == "request.resolved" && body["data"]?["decision"] == "approved" && body["data"]?["decided_by"] == "b")
        #expect(body["data"]?["reason"] == "fine" && body["data"]?["correlation_id"] == "c1")
        request.state = .cancelled
        #expect(ResolutionNotice.body(request, decidedBy: nil, at: Self.t)["data"]?["decided_by"] == .null)
    }

    @Test func aDeliveryCarriesItsOwnCapability() {
        let capability = CallbackCapability(key: Array(repeating: 3, count: 32), publicURL: "https://relay.example/")
        let factory = DeliveryFactory(capability: capability)
        let endpoints = ["a", "b"].map {
            Endpoint(id: "ep_\($0)", name: $0, role: .approver, url: "http://x/\($0)", secrets: [], concurrency: 1, createdAt: Self.t, updatedAt: Self.t)
        }
        let body = DeliveryFactory.body(payload: ["correlation_id": "c"], requestId: "req_1")
        let messages = factory.deliveries(requestId: "req_1", body: body, to: endpoints, deadline: Self.t, now: Self.t)
        let urls = messages.map { String(decoding: capability.complete($0), as: UTF8.self) }
        #expect(urls[0] != urls[1] && urls.allSatisfy { $0.contains("https://relay.example/callbacks/") })
        #expect(messages.map(\.callbackTokenHash) == messages.map { capability.tokenHash(for: "req_1", delivery: $0.id) })
        // A delivery stored before capabilities were per delivery still gets its request's URL.
        var old = messages[0]
        old.callbackTokenHash = nil
        #expect(String(decoding: capability.complete(old), as: UTF8.self).contains(capability.url(for: "req_1")))
    }
}
