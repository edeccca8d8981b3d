import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// SPEC §12, supersede: once a request is resolved, its deliveries not yet sent are never sent; an endpoint with a
/// `resolution_url` that was shown the request is told, signed with its own secret; a late answer is kept as ignored.
@Suite struct SupersedeTests {
    @Test(arguments: StoreKind.allCases) func aSlowSecondEndpointIsSupersededAndToldWithASignedNotice(_ store: StoreKind) async throws {
        let notices = try await StandInServer.start(.status(204))
        // Retries far apart: the slow endpoint's second attempt would come long after the decision.
        let approvers = try await Approvers.start(["fast", "slow"], store: store, extra: ["slow": ["resolution_url": .string(notices.url + "/resolved")]],
                                                  retry: RetryPolicy(base: 20, cap: 30, maxAttempts: 5, attemptTimeout: 2, connectTimeout: 1))
        // The slow endpoint fails its first attempt and waits for a retry; the fast one answers at once.
        approvers.adapter.respond { $0.path == "/slow" ? .status(503) : .accepted }
        #expect(try await approvers.submit("sup-1", to: ["fast", "slow"]).status == 202)
        let slowURL = try await approvers.callbackURL("slow", "sup-1")
        #expect(try await approvers.vote("fast", "sup-1").json?["state"] == "approved")

        let resolved = try await timeline(approvers.relay, "sup-1")
        let slow = try #require(resolved["messages"]?.arrayValue?.first { $0["purpose"] == "delivery" && $0["endpoint"] == "slow" })
        #expect(slow["state"] == "superseded" && slow["dead_reason"] == nil, "superseded, not a dead letter: \(slow)")
        let deadLetters = try await call(.GET, approvers.relay.baseURL + "/api/v1/dead-letters", token: TestRelay.adminToken)
        #expect(deadLetters.json?["items"]?.arrayValue?.isEmpty == true)

        // The notice: request.resolved, naming who decided, signed with the slow endpoint's secret.
        try await eventually("the resolution notice") { !notices.requests.isEmpty }
        let notice = notices.requests[0]
        let body = try #require(JSONValue.parse(notice.body))
        #expect(notice.path == "/resolved" && body["type"] == "request.resolved", "\(body)")
        #expect(body["data"]?["correlation_id"] == "sup-1" && body["data"]?["decision"] == "approved" && body["data"]?["decided_by"] == "fast")
        #expect(try await officialVerification(secret: try #require(approvers.secrets["slow"]), received: notice) == nil)
        #expect(notice.header("Idempotency-Key") == notice.header("webhook-id"))
        // The fast endpoint decided: it gets no notice (it has no resolution URL either way), and nothing else is sent to slow.
        let slowAttempts = approvers.deliveries(to: "slow", of: "sup-1").count
        try await Task.sleep(for: .milliseconds(400))
        #expect(approvers.deliveries(to: "slow", of: "sup-1").count == slowAttempts)
        #expect(notices.requests.count == 1)

        // The slow adapter's human presses anyway: 409, kept in the timeline with its body and its endpoint.
        let late = try await call(.POST, slowURL, body: json(["correlation_id": "sup-1", "decision": "deny", "reason": "too late"]))
        #expect(late.status == 409, "\(late.text)")
        let kept = try await timeline(approvers.relay, "sup-1")
        let ignored = try #require(kept["callbacks"]?.arrayValue?.last)
        #expect(ignored["outcome"] == "ignored" && ignored["endpoint"] == "slow" && ignored["body_excerpt"]?.stringValue?.contains("too late") == true)
        await approvers.stop()
        await notices.stop()
    }

    /// A resolution URL is checked as an endpoint's URL is: its form (400), a number-like host (422); null removes it.
    @Test func aResolutionURLIsCheckedAsAnEndpointURL() async throws {
        let relay = try await TestRelay.start()
        _ = try await registerEndpoint(relay, name: "a", url: "http://127.0.0.1:9/a", extra: ["resolution_url": "http://127.0.0.1:9/resolved"])
        let endpoint = relay.baseURL + "/api/v1/endpoints/a"
        #expect(try await call(.GET, endpoint, token: TestRelay.adminToken).json?["resolution_url"] == "http://127.0.0.1:9/resolved")
        let malformed = try await call(.PATCH, endpoint, token: TestRelay.adminToken, body: json(["resolution_url": "ftp://x/y"]))
        #expect(malformed.status == 400 && malformed.json?["field"] == "resolution_url", "\(malformed.text)")
        let numeric = try await call(.PATCH, endpoint, token: TestRelay.adminToken, body: json(["resolution_url": "http://0x7f.1/r"]))
        #expect(numeric.status == 422 && numeric.json?["code"] == "url_refused" && numeric.json?["field"] == "resolution_url", "\(numeric.text)")
        let removed = try await call(.PATCH, endpoint, token: TestRelay.adminToken, body: json(["resolution_url": nil]))
        #expect(removed.status == 200 && removed.json?["resolution_url"] == nil, "\(removed.text)")
        await relay.stop()
    }
}
