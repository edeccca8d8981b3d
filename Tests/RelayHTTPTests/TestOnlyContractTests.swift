import Foundation
import HTTPTypes
import NIOHTTP1
import RelayContracts
import RelayCore
import RelayTestSupport
import Testing

/// A wire contract that exists only here: one type, registered with one line (the `TestRelay.start`
/// arguments), and the relay reads its callbacks, forwards its bodies with its headers, and records what its
/// answers say — the way the real contracts in `RelayContracts` plug in.
struct PlainTextContract: ForwardContract, CallbackContract {
    let controlPlane: String

    var sink: ForwardSink { ForwardSink(rawValue: "plain-text") }
    var requirement: String { "send approval_request_id for the plain-text control plane" }
    func receives(_ target: ForwardTarget) -> Bool { target.approvalRequestId != nil }
    func forward(of request: RelayRequest, _ decision: NormalizedDecision, at now: Date, messageId: String) -> Forward? {
        Forward(name: "plain-text", url: controlPlane + "/plain", body: ["line": .string("\(request.correlationId) \(decision.decision.rawValue)")])
    }
    func headers(for message: Message) -> [String: String] { ["X-Plain-Contract": "1"] }
    var signingSecrets: [WebhookSecret] { [] }
    func echo(of sent: Data, answer: DeliveryAnswer) -> ControlPlaneAnswer? {
        guard case .response(_, _, let body) = answer, let seen = JSONValue.parse(body)?["seen"]?.stringValue else { return nil }
        return ControlPlaneAnswer(state: seen, flag: nil)
    }

    var door: String { "plain-text" }
    var paths: [(path: String, kind: RequestKind?)] { [("/plain/callback", .approval)] }
    func read(_ body: Data, kind: RequestKind?) throws(DecisionError) -> (NormalizedDecision, RequestLookupKey) {
        guard let object = JSONValue.parse(body)?.objectValue, let reference = object["ref"]?.stringValue else {
            throw DecisionError(field: "ref", message: "ref is required")
        }
        switch object["verdict"]?.stringValue {
        case "yes": return (NormalizedDecision(decision: .approved, reason: "said yes"), .correlationId(reference, kind: kind))
        case "no": return (NormalizedDecision(decision: .denied, reason: "said no"), .correlationId(reference, kind: kind))
        default: throw DecisionError(field: "verdict", message: "verdict must be yes or no")
        }
    }
}

@Suite struct TestOnlyContractTests {
    @Test(arguments: StoreKind.allCases) func aContractThatExistsOnlyInTheTestsPlugsIn(_ store: StoreKind) async throws {
        let adapter = try await StandInServer.start()
        let controlPlane = try await StandInServer.start(CannedAnswer(status: .ok, body: #"{"seen":"approved"}"#))
        let contract = PlainTextContract(controlPlane: controlPlane.url)
        let relay = try await TestRelay.start(store: store, extraForwards: [contract], extraCallbacks: [contract])
        _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
        // No callback.url: the plain-text contract receives it by its approval_request_id, so the submit has somewhere to go.
        var body = try #require(JSONValue.parse(approvalBody("plain-1"))?.objectValue)
        body["callback"] = nil
        body["approval_request_id"] = 41
        let submitted = try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                       headers: ["Idempotency-Key": "plain-1"], body: json(.object(body)))
        #expect(submitted.status == 202, "\(submitted.text)")

        let bad = try await call(.POST, relay.baseURL + "/plain/callback", token: TestRelay.callbackToken, body: json(["ref": "plain-1", "verdict": "maybe"]))
        #expect(bad.status == 400 && bad.json?["field"] == "verdict", "its parsing names the field: \(bad.text)")
        let decided = try await call(.POST, relay.baseURL + "/plain/callback", token: TestRelay.callbackToken, body: json(["ref": "plain-1", "verdict": "yes"]))
        #expect(decided.status == 200 && decided.json?["state"] == "approved", "\(decided.text)")

        try await eventually("the plain-text forward") { controlPlane.requests.contains { $0.path == "/plain" } }
        let forward = try #require(controlPlane.requests.first { $0.path == "/plain" })
        #expect(JSONValue.parse(forward.body)?["line"] == "plain-1 approved")
        #expect(forward.header("X-Plain-Contract") == "1")
        try await eventually("its answer recorded") { try await timeline(relay, "plain-1")["control_plane_state"] == "approved" }
        let shown = try await timeline(relay, "plain-1")
        #expect(shown["callbacks"]?.arrayValue?.first?["path"] == "plain-text", "the timeline names its door")
        await relay.stop()
        await adapter.stop()
        await controlPlane.stop()
    }
}
