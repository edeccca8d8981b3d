import Foundation
import NIOHTTP1
import RelayContracts
import RelayCore
import RelayTestSupport
import Testing

/// SPEC §12, cancel: only from `requested`, by whoever asked (forwarded only to the request's own callback URL) or
/// by an admin (forwarded like a decision); unsent deliveries are superseded; again is a duplicate.
@Suite struct CancelTests {
    static func native(_ url: String) -> ControlPlaneSettings { ControlPlaneSettings(url: url + "/control", format: "native") }

    @Test(arguments: StoreKind.allCases) func anAdminsCancelIsForwardedEverywhereAndStopsDeliveries(_ store: StoreKind) async throws {
        // The adapter is down, so the delivery waits for its retry when the cancel comes.
        let approvers = try await Approvers.start(["a"], store: store, adapter: .status(503), controlPlane: Self.native,
                                                  retry: RetryPolicy(base: 20, cap: 30, maxAttempts: 5, attemptTimeout: 2, connectTimeout: 1))
        #expect(try await approvers.submit("cx-admin", to: ["a"]).status == 202)
        try await eventually("a first attempt") { !approvers.deliveries(to: "a", of: "cx-admin").isEmpty }
        let relay = approvers.relay.baseURL
        let cancelled = try await call(.POST, relay + "/api/v1/requests/cx-admin/cancel", token: TestRelay.adminToken,
                                       body: json(["reason": "the change was withdrawn"]))
        #expect(cancelled.status == 200 && cancelled.json?["state"] == "cancelled" && cancelled.json?["duplicate"] == false, "\(cancelled.text)")
        #expect(cancelled.json?["reason"] == "the change was withdrawn")
        let again = try await call(.POST, relay + "/api/v1/requests/cx-admin/cancel", token: TestRelay.adminToken)
        #expect(again.status == 200 && again.json?["duplicate"] == true, "\(again.text)")

        // Contract A: an error naming the cancel; the native control plane: decision.resolved with `cancelled`.
        try await eventually("both forwards") {
            !approvers.forwards(of: "cx-admin").isEmpty && approvers.receiver.requests.contains { $0.path == "/control" }
        }
        let callback = try #require(JSONValue.parse(approvers.forwards(of: "cx-admin")[0].body))
        #expect(callback["decision"] == "error" && callback["reason"] == "cancelled: the change was withdrawn", "\(callback)")
        let control = try #require(approvers.receiver.requests.first { $0.path == "/control" }.flatMap { JSONValue.parse($0.body) })
        #expect(control["data"]?["decision"] == "cancelled" && control["data"]?["actor"] == "admin", "\(control)")

        let timeline = try await timeline(approvers.relay, "cx-admin")
        #expect(timeline["state"] == "cancelled")
        let delivery = try #require(timeline["messages"]?.arrayValue?.first { $0["purpose"] == "delivery" })
        #expect(delivery["state"] == "superseded", "the retry is never sent: \(delivery)")
        #expect(timeline["audit"]?.arrayValue?.first?["kind"] == "cancel" && timeline["audit"]?.arrayValue?.first?["path"] == "admin")
        let attempts = approvers.deliveries(to: "a", of: "cx-admin").count
        try await Task.sleep(for: .milliseconds(400))
        #expect(approvers.deliveries(to: "a", of: "cx-admin").count == attempts, "no attempt after the cancel")
        await approvers.stop()
    }

    @Test(arguments: StoreKind.allCases) func aSubmittersCancelGoesOnlyToItsOwnCallbackURL(_ store: StoreKind) async throws {
        let approvers = try await Approvers.start(["a"], store: store, controlPlane: Self.native)
        let submitted = try await approvers.submit("cx-mine", to: ["a"])
        let id = try #require(submitted.json?["id"]?.stringValue)
        try await eventually("the delivery") { !approvers.deliveries(to: "a", of: "cx-mine").isEmpty }
        let cancelled = try await call(.POST, approvers.relay.baseURL + "/api/v1/requests/\(id)/cancel", token: TestRelay.submitToken)
        #expect(cancelled.status == 200 && cancelled.json?["state"] == "cancelled", "\(cancelled.text)")
        try await eventually("the callback URL's forward") { !approvers.forwards(of: "cx-mine").isEmpty }
        #expect(JSONValue.parse(approvers.forwards(of: "cx-mine")[0].body)?["reason"] == "cancelled")
        // The control plane asked for the cancel: nothing goes to it. A decision for another request still does.
        #expect(try await approvers.submit("cx-other", to: ["a"]).status == 202)
        #expect(try await approvers.vote("a", "cx-other").status == 200)
        try await eventually("the other request's decision at the control plane") {
            approvers.receiver.requests.contains { $0.path == "/control" && JSONValue.parse($0.body)?["data"]?["correlation_id"] == "cx-other" }
        }
        #expect(!approvers.receiver.requests.contains { $0.path == "/control" && JSONValue.parse($0.body)?["data"]?["correlation_id"] == "cx-mine" })
        #expect(try await timeline(approvers.relay, "cx-mine")["audit"]?.arrayValue?.first?["path"] == "submit-token")
        await approvers.stop()
    }

    /// Every refusal row: another state (409 naming it), the deadline past (409 expired), unknown (404), tokens
    /// (401), a malformed body (400) — and none of them changes the request.
    @Test(arguments: StoreKind.allCases) func refusals(_ store: StoreKind) async throws {
        let clock = ManualClock(Date())
        let approvers = try await Approvers.start(["a"], store: store, clock: clock)
        let relay = approvers.relay.baseURL
        #expect(try await approvers.submit("cx-decided", to: ["a"]).status == 202)
        #expect(try await approvers.vote("a", "cx-decided").json?["state"] == "approved")
        let decided = try await call(.POST, relay + "/api/v1/requests/cx-decided/cancel", token: TestRelay.adminToken)
        #expect(decided.status == 409 && decided.json?["code"] == "transition_refused" && decided.json?["state"] == "approved", "\(decided.text)")

        #expect(try await approvers.submit("cx-open", to: ["a"], extra: ["timeout_sec": 60]).status == 202)
        #expect(try await call(.POST, relay + "/api/v1/requests/no-such/cancel", token: TestRelay.adminToken).status == 404)
        #expect(try await call(.POST, relay + "/api/v1/requests/cx-open/cancel").status == 401)
        #expect(try await call(.POST, relay + "/api/v1/requests/cx-open/cancel", token: TestRelay.callbackToken).status == 401)
        let malformed = try await call(.POST, relay + "/api/v1/requests/cx-open/cancel", token: TestRelay.adminToken, body: json(["reason": 7]))
        #expect(malformed.status == 400 && malformed.json?["field"] == "reason", "\(malformed.text)")
        let unknown = try await call(.POST, relay + "/api/v1/requests/cx-open/cancel", token: TestRelay.adminToken, body: json(["why": "x"]))
        #expect(unknown.status == 400 && unknown.json?["field"] == "why", "\(unknown.text)")
        #expect(try await timeline(approvers.relay, "cx-open")["state"] == "requested", "no refusal changed it")

        // Past the deadline, before any sweep: the request has expired, and the cancel is refused.
        clock.advance(by: 61)
        let late = try await call(.POST, relay + "/api/v1/requests/cx-open/cancel", token: TestRelay.adminToken)
        #expect(late.status == 409 && late.json?["state"] == "expired", "\(late.text)")
        await approvers.stop()
    }
}
