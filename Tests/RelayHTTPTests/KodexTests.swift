import Foundation
import NIOHTTP1
import RelayContracts
import RelayCore
import RelayTestSupport
import Testing

/// SPEC §13, control-plane format `kodex`: a decision reaches interaction-hub through integration-gateway's external
/// callback, signed over its raw body, under one callback id however often it is sent; its answers are read as the
/// gateway means them (backpressure retried after `Retry-After`, a repeat accepted, `retryable: true` retried, the
/// rest of its refusals permanent); the decisions kodex has no action for are not sent to it.
@Suite struct KodexTests {
    static let secret = "kodex-external-callback-secret-0123456789"
    static let reference = "0f8fad5b-d9cb-469f-a165-70867728950e"

    static func start(_ store: StoreKind, _ kodex: KodexStandIn, clock: any RelayClock = SystemClock()) async throws -> Approvers {
        let approvers = try await Approvers.start(["approver"], store: store, clock: clock, controlPlane: { url in
            ControlPlaneSettings(url: url + "/", format: "kodex", rawSecret: Self.secret)
        })
        approvers.receiver.respond { kodex.answer($0) }
        return approvers
    }

    /// Submits to the approver with the kodex request id and no callback URL: kodex is the only receiver.
    static func submit(_ approvers: Approvers, _ correlationId: String, reference: String = reference, extra: [String: JSONValue] = [:]) async throws -> Answer {
        var body = JSONValue.parse(approvalBody(correlationId, extra: extra))!.objectValue!
        body["callback"] = nil
        body["endpoints"] = ["approver"]
        body["control_plane_ref"] = .string(reference)
        return try await call(.POST, approvers.relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                              headers: ["Idempotency-Key": "k-\(correlationId)"], body: json(.object(body)))
    }

    @Test(arguments: StoreKind.allCases) func aDecisionReachesKodexSignedAndOnceThroughBackpressure(_ store: StoreKind) async throws {
        let kodex = KodexStandIn(secret: Self.secret)
        let approvers = try await Self.start(store, kodex)
        kodex.pushBack(2)
        #expect(try await Self.submit(approvers, "kx-1").status == 202)
        #expect(try await approvers.vote("approver", "kx-1", reason: "fine; token=abc123 leaked in a reason").json?["state"] == "approved")
        try await eventually("the callback accepted after the backpressure", timeout: .seconds(20)) {
            try await timeline(approvers.relay, "kx-1")["messages"]?.arrayValue?.contains { $0["sink"] == "kodex" && $0["state"] == "delivered" } == true
        }
        let (callbackId, body) = try #require(kodex.accepted.first)
        #expect(body["action"] == "approve" && body["request_ref"] == .string(Self.reference) && body["contract_version"] == "interaction.channel.v1")
        #expect(body["correlation_id"] == "kx-1" && body["actor_ref"] == "webhook-relay:endpoint:approver", "\(body)")
        #expect(body["answer_summary"]?.stringValue?.contains("token=") == false, "what the gateway refuses is blotted out: \(body)")
        #expect(callbackId.hasPrefix("webhook-relay-") && callbackId.count <= 128)
        // Three sends (two pushed back), one callback id, the body signed each time; the retry waited for Retry-After.
        let sends = approvers.receiver.requests
        #expect(kodex.answered.map { $0.status } == [503, 503, 202] && Set(kodex.answered.map { $0.callbackId }) == [callbackId], "\(kodex.answered)")
        #expect(Set(sends.map(\.body)).count == 1 && Set(sends.compactMap { $0.header("X-Kodex-Request-Id") }) == [callbackId])
        #expect(sends[2].receivedAt.timeIntervalSince(sends[1].receivedAt) >= 0.9, "Retry-After: 1 honoured")
        let forward = try #require(try await timeline(approvers.relay, "kx-1")["messages"]?.arrayValue?.first { $0["purpose"] == "forward" })
        #expect(forward["sink"] == "kodex" && forward["state"] == "delivered" && forward["url"]?.stringValue?.hasSuffix("/v1/external-callbacks/webhook-relay") == true)
        await approvers.stop()
    }

    /// A send whose 202 was lost (the relay gave up waiting) is sent again, byte for byte: the gateway answers
    /// `duplicate_accepted`, which is a delivery.
    @Test(arguments: StoreKind.allCases) func aRepeatAfterALostAnswerIsADuplicateAccepted(_ store: StoreKind) async throws {
        let kodex = KodexStandIn(secret: Self.secret)
        let approvers = try await Self.start(store, kodex)
        // The first answer takes longer than the attempt's 2 s: the relay times out, though the gateway recorded it.
        approvers.receiver.respond { request in
            var answer = kodex.answer(request)
            if kodex.answered.count == 1 { answer.delay = .seconds(3) }
            return answer
        }
        #expect(try await Self.submit(approvers, "kx-lost").status == 202)
        #expect(try await approvers.vote("approver", "kx-lost", "deny", reason: "not now").json?["state"] == "denied")
        try await eventually("the repeat answered", timeout: .seconds(20)) { kodex.answered.count >= 2 }
        #expect(kodex.answered.map { $0.status } == [202, 202])
        try await eventually("the forward delivered") {
            try await timeline(approvers.relay, "kx-lost")["messages"]?.arrayValue?.contains { $0["sink"] == "kodex" && $0["state"] == "delivered" } == true
        }
        let body = try #require(kodex.accepted.values.first)
        #expect(body["action"] == "reject" && body["answer_summary"] == "not now")
        await approvers.stop()
    }

    /// The gateway's refusals: permanent by the answer table (a wrong secret's 401 among them), unless the body says
    /// `"retryable": true`; and what kodex has no action for is not sent at all.
    @Test(arguments: StoreKind.allCases) func refusalsRetryableFlagsAndDecisionsKodexHasNoWordFor(_ store: StoreKind) async throws {
        let clock = ManualClock(Date())
        let kodex = KodexStandIn(secret: "another-secret-than-the-relays-0123")
        let approvers = try await Self.start(store, kodex, clock: clock)
        #expect(try await Self.submit(approvers, "kx-401").status == 202)
        #expect(try await approvers.vote("approver", "kx-401").status == 200)
        try await eventually("the forward dead") {
            try await timeline(approvers.relay, "kx-401")["messages"]?.arrayValue?.contains { $0["sink"] == "kodex" && $0["dead_reason"] == "permanent" } == true
        }
        #expect(kodex.answered.map { $0.status } == [401], "a wrong secret is not retried")

        // A status the table calls permanent, with retryable: true: retried.
        approvers.receiver.respond { _ in .status(202, body: #"{"status":"accepted"}"#) }
        approvers.receiver.answer([.status(400, body: #"{"code":"invalid_request","message":"later","retryable":true,"request_id":"x"}"#)])
        #expect(try await Self.submit(approvers, "kx-flag").status == 202)
        #expect(try await approvers.vote("approver", "kx-flag").status == 200)
        try await eventually("retried, then delivered", advancing: clock, by: 1, on: approvers.relay) {
            try await timeline(approvers.relay, "kx-flag")["messages"]?.arrayValue?.contains { $0["sink"] == "kodex" && $0["state"] == "delivered" } == true
        }

        // Expiry: kodex expires its own requests; nothing is sent to it.
        let before = approvers.receiver.requests.count
        #expect(try await Self.submit(approvers, "kx-expire", extra: ["timeout_sec": 60]).status == 202)
        clock.advance(by: 61)
        try await eventually("expired", advancing: clock, by: 1, on: approvers.relay) {
            try await timeline(approvers.relay, "kx-expire")["state"] == "expired"
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(approvers.receiver.requests.count == before)
        #expect(try await timeline(approvers.relay, "kx-expire")["messages"]?.arrayValue?.contains { $0["purpose"] == "forward" } == false)
        await approvers.stop()
    }

    /// Submits it could never forward are refused, naming the field; nothing is stored.
    @Test func aSubmitKodexCannotTakeIsRefused() async throws {
        let kodex = KodexStandIn(secret: Self.secret)
        let approvers = try await Self.start(.sqlite, kodex)
        let notUUID = try await Self.submit(approvers, "kx-bad", reference: "interaction-42")
        #expect(notUUID.status == 422 && notUUID.json?["field"] == "control_plane_ref", "\(notUUID.text)")
        var body = JSONValue.parse(approvalBody("kx-none"))!.objectValue!
        body["callback"] = nil
        let nowhere = try await call(.POST, approvers.relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                     headers: ["Idempotency-Key": "kx-none"], body: json(.object(body)))
        #expect(nowhere.status == 422 && nowhere.json?["code"] == "no_sink" && nowhere.json?["message"]?.stringValue?.contains("control_plane_ref") == true,
                "\(nowhere.text)")
        for key in ["kx-bad", "kx-none"] {
            #expect(try await call(.GET, approvers.relay.baseURL + "/api/v1/requests/\(key)", token: TestRelay.adminToken).status == 404)
        }
        await approvers.stop()
    }

    @Test func aKodexFormatWithoutURLOrSecretStopsTheStart() async throws {
        let base = ["RELAY_DATABASE": CommandLineTests.database(), "RELAY_CONTROL_PLANE_FORMAT": "kodex"]
        let noURL = try await CommandLineTests.run(["migrate"], environment: base.merging(["RELAY_CONTROL_PLANE_SECRET": Self.secret]) { $1 })
        #expect(noURL.status != 0 && noURL.errors.contains("control_plane.url"), "\(noURL.errors)")
        let noSecret = try await CommandLineTests.run(["migrate"], environment: base.merging(["RELAY_CONTROL_PLANE_URL": "http://127.0.0.1:9"]) { $1 })
        #expect(noSecret.status != 0 && noSecret.errors.contains("control_plane.secret"), "\(noSecret.errors)")
        let badSource = try await CommandLineTests.run(["migrate"], environment: base.merging([
            "RELAY_CONTROL_PLANE_URL": "http://127.0.0.1:9", "RELAY_CONTROL_PLANE_SECRET": Self.secret,
            "RELAY_CONTROL_PLANE_CALLBACK_SOURCE": "Webhook_Relay",
        ]) { $1 })
        #expect(badSource.status != 0 && badSource.errors.contains("callback_source"), "\(badSource.errors)")
        let fine = try await CommandLineTests.run(["migrate"], environment: base.merging([
            "RELAY_CONTROL_PLANE_URL": "http://127.0.0.1:9", "RELAY_CONTROL_PLANE_SECRET": Self.secret,
        ]) { $1 })
        #expect(fine.status == 0, "\(fine.errors)")
    }

    /// The one table of decisions to kodex actions, row by row.
    @Test func theActionTable() {
        #expect(KodexActions.action(for: .approved, kind: .approval) == "approve")
        #expect(KodexActions.action(for: .denied, kind: .approval) == "reject")
        #expect(KodexActions.action(for: .applied, kind: .approval) == "approve")
        #expect(KodexActions.action(for: .applied, kind: .execution) == "answer")
        for decision in [Decision.expired, .failed, .cancelled] {
            #expect(KodexActions.action(for: decision, kind: .approval) == nil && KodexActions.action(for: decision, kind: .execution) == nil)
        }
    }
}
