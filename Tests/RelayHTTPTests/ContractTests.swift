import Foundation
import HTTPTypes
import NIOHTTP1
import RelayContracts
import RelayCore
import RelayTestSupport
import RelayHTTP
import Testing

/// The callback contracts row by row through real HTTP: every normalization, every transition, every refusal.
@Suite struct ContractTests {
    /// SPEC §5's normalization table, through the shared-token contract-A webhooks and contract B.
    static let normalization: [(path: String, body: JSONValue, state: String)] = [
        ("/approvals/webhook", ["decision": "approve"], "approved"),
        ("/approvals/webhook", ["decision": "deny", "reason": "no"], "denied"),
        ("/approvals/webhook", ["decision": "error", "reason": "approval timeout"], "expired"),
        ("/approvals/webhook", ["decision": "error", "reason": "telegram down"], "failed"),
        ("/executors/webhook", ["status": "success", "result": ["selected_option": "A"]], "applied"),
        ("/executors/webhook", ["status": "error", "result": "execution timeout"], "expired"),
        ("/executors/webhook", ["status": "error", "result": "boom"], "failed"),
        ("/api/v1/mcp/approver/callback", ["decision": "approved"], "approved"),
        ("/api/v1/mcp/approver/callback", ["decision": "denied"], "denied"),
        ("/api/v1/mcp/approver/callback", ["decision": "expired"], "expired"),
        ("/api/v1/mcp/approver/callback", ["decision": "failed"], "failed"),
        ("/api/v1/mcp/executor/callback", ["decision": "applied", "actor_id": "tg-1"], "applied"),
    ]

    @Test(arguments: StoreKind.allCases) func everyNormalizationRow(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            for (index, row) in Self.normalization.enumerated() {
                let id = "c-norm-\(index)"
                let approvalRequestId = Int64(100 + index)
                let isExecution = row.path.contains("executor")
                if isExecution {
                    _ = try await flow.submitExecution(id, extra: ["approval_request_id": .integer(approvalRequestId)])
                } else {
                    _ = try await flow.submitApproval(id, extra: ["approval_request_id": .integer(approvalRequestId)])
                }
                var body = row.body.objectValue!
                if row.path.hasPrefix("/api") { body["approval_request_id"] = .integer(approvalRequestId) } else { body["correlation_id"] = .string(id) }
                let answer = try await call(.POST, flow.relay.baseURL + row.path, token: TestRelay.callbackToken, body: json(.object(body)))
                #expect(answer.status == 200, "\(row.path) \(row.body): \(answer.text)")
                #expect(answer.json?["state"]?.stringValue == row.state, "\(row.path) \(row.body)")
                #expect(answer.json?["approval_request_id"]?.int64Value == approvalRequestId)
            }
        }
    }

    /// SPEC §2: from every reachable state, every decision → moved (200), duplicate (200) or refused (409).
    @Test(arguments: StoreKind.allCases) func everyTransitionThroughHTTP(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            let decisions = ["approved", "denied", "expired", "failed", "applied"]
            let starts: [String?] = [nil] + decisions  // nil: still requested
            var approvalRequestId: Int64 = 1000
            for start in starts {
                for decision in decisions {
                    approvalRequestId += 1
                    let id = "c-tr-\(approvalRequestId)"
                    _ = try await flow.submitApproval(id, extra: ["approval_request_id": .integer(approvalRequestId)])
                    let url = flow.relay.baseURL + "/api/v1/mcp/approver/callback"
                    if let start {
                        _ = try await call(.POST, url, token: TestRelay.callbackToken, body: json(["approval_request_id": .integer(approvalRequestId), "decision": .string(start)]))
                    }
                    let answer = try await call(.POST, url, token: TestRelay.callbackToken,
                                                body: json(["approval_request_id": .integer(approvalRequestId), "decision": .string(decision)]))
                    let from = RequestState(rawValue: start ?? "requested")!
                    switch RequestTransitions.apply(Decision(rawValue: decision)!, to: from) {
                    case .moved(let to):
                        #expect(answer.status == 200 && answer.json?["state"]?.stringValue == to.rawValue && answer.json?["duplicate"] == false, "\(from) + \(decision)")
                    case .duplicate:
                        #expect(answer.status == 200 && answer.json?["duplicate"] == true, "\(from) + \(decision)")
                    case .refused(let current):
                        #expect(answer.status == 409 && answer.json?["state"]?.stringValue == current.rawValue, "\(from) + \(decision)")
                    }
                }
            }
        }
    }

    @Test(arguments: StoreKind.allCases) func sharedPathsNeedTheCallbackTokenInEitherHeader(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            _ = try await flow.submitApproval("c-auth", extra: ["approval_request_id": 7])
            let paths = ["/approvals/webhook", "/executors/webhook", "/api/v1/mcp/approver/callback", "/api/v1/mcp/executor/callback"]
            for path in paths {
                for token in [nil, "bogus-token-zz9", TestRelay.adminToken, TestRelay.submitToken] {
                    let answer = try await call(.POST, flow.relay.baseURL + path, token: token, body: json(["correlation_id": "c-auth", "decision": "approve"]))
                    #expect(answer.status == 401, "\(path) with \(token ?? "none")")
                }
                let header = try await call(.POST, flow.relay.baseURL + path, headers: ["X-Codex-MCP-Token": "bogus-token-zz9"], body: json([:]))
                #expect(header.status == 401)
            }
            let viaHeader = try await call(.POST, flow.relay.baseURL + "/api/v1/mcp/approver/callback",
                                           headers: ["X-Codex-MCP-Token": TestRelay.callbackToken], body: json(["approval_request_id": 7, "decision": "approved"]))
            #expect(viaHeader.status == 200)
            // The submit door refuses the callback token, and the drop-in doors too.
            let crossed = try await call(.POST, flow.relay.baseURL + "/approve", token: TestRelay.callbackToken, body: json([:]))
            #expect(crossed.status == 401)
        }
    }

    @Test(arguments: StoreKind.allCases) func aRelayWithoutACallbackTokenRefusesTheSharedPaths(_ store: StoreKind) async throws {
        let relay = try await TestRelay.start(store: store, settings: .init(adminToken: TestRelay.adminToken, submitToken: TestRelay.submitToken))
        let answer = try await call(.POST, relay.baseURL + "/approvals/webhook", token: "anything", body: json(["correlation_id": "x", "decision": "approve"]))
        await relay.stop()
        #expect(answer.status == 401 && answer.json?["message"]?.stringValue?.contains("RELAY_CALLBACK_TOKEN") == true)
    }

    static let malformed: [(path: String, body: String, field: String?)] = [
        ("/approvals/webhook", "{", nil), ("/approvals/webhook", "[1]", nil),
        ("/approvals/webhook", #"{"decision":"approve"}"#, "correlation_id"),
        ("/approvals/webhook", #"{"correlation_id":"c-bad"}"#, "decision"),
        ("/approvals/webhook", #"{"correlation_id":"c-bad","decision":"pending"}"#, "decision"),
        ("/approvals/webhook", #"{"correlation_id":"c-bad","decision":"maybe"}"#, "decision"),
        ("/approvals/webhook", #"{"correlation_id":"c-bad","decision":"approve","reason":5}"#, "reason"),
        ("/executors/webhook", #"{"correlation_id":"c-bad","status":"done"}"#, "status"),
        ("/api/v1/mcp/approver/callback", "{", "body"),
        ("/api/v1/mcp/approver/callback", #"{"decision":"approved"}"#, "approval_request_id"),
        ("/api/v1/mcp/approver/callback", #"{"approval_request_id":0,"decision":"approved"}"#, "approval_request_id"),
        ("/api/v1/mcp/approver/callback", #"{"approval_request_id":"1","decision":"approved"}"#, "approval_request_id"),
        ("/api/v1/mcp/approver/callback", #"{"approval_request_id":1,"decision":"approve"}"#, "decision"),
        ("/api/v1/mcp/approver/callback", #"{"approval_request_id":1}"#, "decision"),
        ("/api/v1/mcp/approver/callback", #"{"approval_request_id":1,"decision":"approved","extra":1}"#, "extra"),
    ]

    @Test(arguments: StoreKind.allCases) func malformedCallbacksAre400NamingTheFieldAndChangeNothing(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            _ = try await flow.submitApproval("c-bad", extra: ["approval_request_id": 1])
            for row in Self.malformed {
                let answer = try await call(.POST, flow.relay.baseURL + row.path, token: TestRelay.callbackToken, body: Data(row.body.utf8))
                #expect(answer.status == 400, "\(row.path) \(row.body): \(answer.text)")
                #expect(answer.json?["field"]?.stringValue == row.field, "\(row.path) \(row.body)")
            }
            #expect(try await flow.state("c-bad") == "requested")
            #expect(flow.receiver.requests.isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases) func unknownRequestsAre404AndHugeBodies413(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            let unknownA = try await call(.POST, flow.relay.baseURL + "/approvals/webhook", token: TestRelay.callbackToken,
                                          body: json(["correlation_id": "nope", "decision": "approve"]))
            #expect(unknownA.status == 404)
            let unknownB = try await call(.POST, flow.relay.baseURL + "/api/v1/mcp/approver/callback", token: TestRelay.callbackToken,
                                          body: json(["approval_request_id": 999_999, "decision": "approved"]))
            #expect(unknownB.status == 404)
            let capability = try await call(.POST, flow.relay.baseURL + "/callbacks/not-a-token", body: json(["decision": "approve"]))
            #expect(capability.status == 404)
            let huge = try await call(.POST, flow.relay.baseURL + "/approvals/webhook", token: TestRelay.callbackToken,
                                      body: Data(("{\"reason\":\"" + String(repeating: "x", count: 300_000) + "\"}").utf8))
            #expect(huge.status == 413)
        }
    }

    /// A codex-k8s-like control plane: token, approval_state echo (flagging a contradiction), 500 for unknown ids.
    @Test(arguments: StoreKind.allCases) func codexControlPlaneReceivesContractB(_ store: StoreKind) async throws {
        let codex = CodexStandIn(token: "cp-token", known: [41, 42, 43])
        try await withFlow(store: store, controlPlane: { ControlPlaneSettings(url: $0, format: "codex-k8s", token: "cp-token") }) { flow in
            flow.receiver.respond(codex.answer)
            try await flow.registerAdapters()
            // 42: approved → the control plane applies at once and answers applied: consistent.
            _ = try await flow.submitApproval("c-42", extra: ["approval_request_id": 42, "callback": nil])
            let callback = try await flow.callbackURL(of: "c-42")
            _ = try await flow.callBack(callback, ["correlation_id": "c-42", "decision": "approve", "reason": "lgtm"])
            try await eventually("the contract B forward") { flow.forwards(approvalRequestId: 42).count == 1 }
            let forward = flow.forwards(approvalRequestId: 42)[0]
            #expect(forward == ["approval_request_id": 42, "decision": "approved", "reason": "lgtm", "actor_id": "endpoint:approver"])
            #expect(flow.receiver.requests[0].path == "/api/v1/mcp/approver/callback")
            #expect(flow.receiver.requests[0].header("X-Codex-MCP-Token") == "cp-token")
            try await eventually("the echo recorded") { try await timeline(flow.relay, "c-42")["control_plane_state"] == "applied" }
            #expect(try await timeline(flow.relay, "c-42")["flag"] == nil)
            // 43: the control plane already denied it; our approval is ignored and it answers denied: flagged.
            _ = codex.answer(ReceivedRequest(path: "", headers: [HTTPField.Name("X-Codex-MCP-Token")!: "cp-token"],
                                             body: json(["approval_request_id": 43, "decision": "denied"]), receivedAt: Date()))
            _ = try await flow.submitApproval("c-43", extra: ["approval_request_id": 43, "callback": nil])
            _ = try await flow.callBack(try await flow.callbackURL(of: "c-43"), ["decision": "approve"])
            try await eventually("the flag") { try await timeline(flow.relay, "c-43")["flag"] != nil }
            #expect(try await timeline(flow.relay, "c-43")["control_plane_state"] == "denied")
            // 77: unknown to the control plane: 500, retried, then a dead letter.
            _ = try await flow.submitApproval("c-77", extra: ["approval_request_id": 77, "callback": nil])
            _ = try await flow.callBack(try await flow.callbackURL(of: "c-77"), ["decision": "deny"])
            try await eventually("the dead forward") {
                try await timeline(flow.relay, "c-77")["messages"]?.arrayValue?.last?["dead_reason"] == "exhausted"
            }
            #expect(flow.forwards(approvalRequestId: 77).count == 5)
        }
    }

    @Test(arguments: StoreKind.allCases) func aWrongControlPlaneTokenIsAPermanentFailure(_ store: StoreKind) async throws {
        let codex = CodexStandIn(token: "the-right-one", known: [5])
        try await withFlow(store: store, controlPlane: { ControlPlaneSettings(url: $0, format: "codex-k8s", token: "a-wrong-one") }) { flow in
            flow.receiver.respond(codex.answer)
            try await flow.registerAdapters()
            _ = try await flow.submitApproval("c-401", extra: ["approval_request_id": 5, "callback": nil])
            _ = try await flow.callBack(try await flow.callbackURL(of: "c-401"), ["decision": "approve"])
            try await eventually("the dead forward") {
                try await timeline(flow.relay, "c-401")["messages"]?.arrayValue?.last?["dead_reason"] == "permanent"
            }
            #expect(codex.state(of: 5) == "requested")
        }
    }

    @Test(arguments: StoreKind.allCases) func nativeControlPlaneGetsASignedEvent(_ store: StoreKind) async throws {
        let secret = WebhookSecret.generate().description
        try await withFlow(store: store, controlPlane: { ControlPlaneSettings(url: $0 + "/events", format: "native", secret: WebhookSecret(secret)) }) { flow in
            try await flow.registerAdapters()
            let submitted = try await flow.submitExecution("c-native", extra: ["callback": nil])
            _ = try await flow.callBack(try await flow.callbackURL(of: "c-native"), ["status": "success", "result": ["selected_option": "Canary"]])
            try await eventually("the event") { flow.receiver.requests.count == 1 }
            let received = flow.receiver.requests[0]
            #expect(received.path == "/events")
            #expect(try await officialVerification(secret: secret, received: received) == nil)
            let event = try #require(JSONValue.parse(received.body))
            #expect(event["type"] == "decision.resolved" && event["timestamp"]?.stringValue != nil)
            let data = try #require(event["data"])
            #expect(data["id"] == submitted.json?["id"] && data["correlation_id"] == "c-native" && data["kind"] == "execution")
            #expect(data["tool"] == "telegram_request_feedback" && data["decision"] == "applied")
            #expect(data["result"] == ["selected_option": "Canary"] && data["decided_at"]?.stringValue != nil)
        }
    }
}
