import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// `POST /approve` and `POST /execute`: exactly what yaml-mcp-server sends to an HTTP approver / executor,
/// answered the way the reference adapters answer (SPEC §3.2).
@Suite struct DropInTests {
    static func approveBody(_ correlationId: String, callback: String) -> JSONValue {
        [
            "correlation_id": .string(correlationId), "tool": "github_create_env_secret_k8s",
            "arguments": ["namespace": "ai-staging", "k8s_secret_name": "pg-password"],
            "justification": "Need a new password for the billing service.",
            "approval_request": "Create a secret and inject it into Kubernetes.",
            "risk_assessment": "May affect DB access if the new secret is misused.",
            "links_to_code": [["text": "PR #42", "url": "https://github.com/org/repo/pull/42"]],
            "lang": "en", "markup": "markdown", "timeout_sec": 3600, "callback": ["url": .string(callback)],
        ]
    }

    @Test(arguments: StoreKind.allCases) func approveIsQueuedDeliveredAndDecidedBackToYamlMcpServer(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            let body = Self.approveBody("req-123", callback: flow.receiver.url + "/approvals/webhook")
            let answer = try await call(.POST, flow.relay.baseURL + "/approve", token: TestRelay.submitToken, body: json(body))
            #expect(answer.status == 202)
            #expect(answer.json == ["decision": "pending", "reason": "queued", "correlation_id": "req-123"])
            let callback = try await flow.callbackURL(of: "req-123")
            let received = try #require(flow.delivery(of: "req-123"))
            let delivered = try #require(JSONValue.parse(received.body))
            #expect(delivered["links_to_code"] == body["links_to_code"] && delivered["markup"] == "markdown")
            // A repeat while open: the same answer, nothing new delivered.
            let repeated = try await call(.POST, flow.relay.baseURL + "/approve", token: TestRelay.submitToken, body: json(body))
            #expect(repeated.status == 202 && repeated.json?["decision"] == "pending")
            _ = try await flow.callBack(callback, ["correlation_id": "req-123", "decision": "deny", "reason": "not today"])
            try await eventually("the decision at yaml-mcp-server") { flow.forwards(of: "req-123").count == 1 }
            #expect(flow.forwards(of: "req-123")[0]["decision"] == "deny")
            #expect(flow.adapter.requests.filter { $0.path == "/approve" }.count == 1)
            // A repeat after the decision is answered with the decision, as a synchronous approver would.
            let decided = try await call(.POST, flow.relay.baseURL + "/approve", token: TestRelay.submitToken, body: json(body))
            #expect(decided.status == 200 && decided.json?["decision"] == "deny" && decided.json?["reason"] == "not today")
        }
    }

    @Test(arguments: StoreKind.allCases) func executeIsQueuedInTheExecutorShape(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            let body: JSONValue = [
                "correlation_id": "req-124", "tool": ["name": "telegram_request_feedback", "title": "Request user feedback"],
                "arguments": ["question": "Which rollout strategy should we apply?", "options": ["A", "B"], "allow_custom": true],
                "spec": ["kind": "telegram_feedback_v1", "options_min": 2, "options_max": 5], "lang": "en", "markup": "markdown",
                "timeout_sec": 3600, "callback": ["url": .string(flow.receiver.url + "/executors/webhook")],
            ]
            let answer = try await call(.POST, flow.relay.baseURL + "/execute", token: TestRelay.submitToken, body: json(body))
            #expect(answer.status == 202 && answer.json == ["status": "pending", "result": "queued", "correlation_id": "req-124"])
            #expect(try await flow.callbackURL(of: "req-124").hasPrefix(flow.relay.baseURL + "/callbacks/"))
            #expect(flow.delivery(of: "req-124")?.path == "/execute")
        }
    }

    static let invalid: [(path: String, change: (String, JSONValue?), message: String)] = [
        ("/approve", ("correlation_id", nil), "correlation_id is required"),
        ("/approve", ("tool", nil), "tool is required"),
        ("/approve", ("justification", "short"), "justification must be 10-500 characters"),
        ("/approve", ("links_to_code", [["text": "x"]]), "links_to_code items must include text and url"),
        ("/approve", ("markup", "rst"), "markup must be markdown or html"),
        ("/approve", ("callback", nil), "callback.url is required for async approval"),
        ("/execute", ("tool", ["title": "no name"]), "tool.name is required"),
    ]

    @Test(arguments: StoreKind.allCases) func invalidBodiesGet400InTheAdaptersShape(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            for row in Self.invalid {
                var body = Self.approveBody("req-bad", callback: flow.receiver.url + "/x").objectValue!
                if row.path == "/execute" {
                    body = ["correlation_id": "req-bad", "tool": ["name": "t"], "callback": ["url": .string(flow.receiver.url + "/x")]]
                }
                body[row.change.0] = row.change.1
                let answer = try await call(.POST, flow.relay.baseURL + row.path, token: TestRelay.submitToken, body: json(.object(body)))
                #expect(answer.status == 400, "\(row)")
                let expected: JSONValue = row.path == "/approve"
                    ? ["decision": "error", "reason": .string(row.message)] : ["status": "error", "result": .string(row.message)]
                #expect(answer.json == expected, "\(answer.text)")
            }
            let notJSON = try await call(.POST, flow.relay.baseURL + "/approve", token: TestRelay.submitToken, body: Data("{".utf8))
            #expect(notJSON.status == 400 && notJSON.json == ["decision": "error", "reason": "invalid json payload"])
            #expect(try await call(.GET, flow.relay.baseURL + "/api/v1/requests/req-bad", token: TestRelay.adminToken).status == 404)
        }
    }

    @Test(arguments: StoreKind.allCases) func theDropInDoorsNeedTheSubmitToken(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            for path in ["/approve", "/execute"] {
                for token in [nil, TestRelay.adminToken, TestRelay.callbackToken] {
                    let answer = try await call(.POST, flow.relay.baseURL + path, token: token, body: json([:]))
                    #expect(answer.status == 401)
                }
            }
        }
    }
}
