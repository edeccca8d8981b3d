import Foundation
import NIOHTTP1
import RelayApplication
import RelayContracts
import RelayCore
import RelayTestSupport
import Testing

/// Several approvers on one stand-in adapter (`/a`, `/b`, …), and a stand-in receiver for the decisions: the
/// set-up of the quorum, escalation, cancel and supersede tests.
struct Approvers {
    let relay: TestRelay
    let adapter: StandInServer
    let receiver: StandInServer
    /// Endpoint name → its secret.
    let secrets: [String: String]

    static func start(_ names: [String], store: StoreKind, clock: any RelayClock = SystemClock(), adapter answer: CannedAnswer = .accepted,
                      controlPlane: ((String) -> ControlPlaneSettings)? = nil, extra: [String: [String: JSONValue]] = [:],
                      policy: RelayApplication.Policy = RelayApplication.Policy(), location: StoreLocation? = nil,
                      retry: RetryPolicy = RetryPolicy(base: 0.05, cap: 1, maxAttempts: 5, attemptTimeout: 2, connectTimeout: 1)) async throws -> Approvers {
        let adapter = try await StandInServer.start(answer)
        let receiver = try await StandInServer.start(.status(200))
        let relay = try await TestRelay.start(store: store, location: location, clock: clock, retry: retry, controlPlane: controlPlane?(receiver.url),
                                              policy: policy)
        var secrets: [String: String] = [:]
        for name in names {
            secrets[name] = try await registerEndpoint(relay, name: name, url: adapter.url + "/" + name, extra: extra[name] ?? [:]).secret
        }
        return Approvers(relay: relay, adapter: adapter, receiver: receiver, secrets: secrets)
    }

    func stop() async {
        await relay.stop()
        await adapter.stop()
        await receiver.stop()
    }

    /// Submits an approval to `endpoints` whose decision goes back to the receiver's `/decisions`.
    func submit(_ correlationId: String, to endpoints: [String], extra: [String: JSONValue] = [:], headers: [String: String] = [:]) async throws -> Answer {
        var fields = extra
        fields["endpoints"] = .array(endpoints.map(JSONValue.string))
        return try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                              headers: ["Idempotency-Key": "key-\(correlationId)"].merging(headers) { $1 },
                              body: approvalBody(correlationId, callback: receiver.url + "/decisions", extra: fields))
    }

    /// The deliveries `endpoint` received for `correlationId`.
    func deliveries(to endpoint: String, of correlationId: String) -> [ReceivedRequest] {
        adapter.requests.filter { $0.path == "/" + endpoint && JSONValue.parse($0.body)?["correlation_id"]?.stringValue == correlationId }
    }

    /// The capability URL `endpoint`'s delivery of `correlationId` carried (waits for the delivery).
    func callbackURL(_ endpoint: String, _ correlationId: String) async throws -> String {
        try await eventually("the delivery of \(correlationId) to \(endpoint)") { !deliveries(to: endpoint, of: correlationId).isEmpty }
        let body = try #require(JSONValue.parse(deliveries(to: endpoint, of: correlationId)[0].body))
        return try #require(body["callback"]?["url"]?.stringValue)
    }

    /// `endpoint` answers through its own callback URL, as a Telegram approver does when the human presses a button.
    func vote(_ endpoint: String, _ correlationId: String, _ decision: String = "approve", reason: String = "looks fine") async throws -> Answer {
        try await call(.POST, try await callbackURL(endpoint, correlationId),
                       body: json(["correlation_id": .string(correlationId), "decision": .string(decision), "reason": .string(reason)]))
    }

    /// The contract-A forwards the receiver got for `correlationId`.
    func forwards(of correlationId: String) -> [ReceivedRequest] {
        receiver.requests.filter { $0.path == "/decisions" && JSONValue.parse($0.body)?["correlation_id"]?.stringValue == correlationId }
    }
}
