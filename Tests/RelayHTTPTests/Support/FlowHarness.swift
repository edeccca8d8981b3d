import Foundation
import HTTPTypes
import NIOHTTP1
import RelayContracts
import RelayCore
import RelayTestSupport
import Testing

/// A relay with a stand-in adapter (approver and executor paths) and a stand-in decision receiver
/// (yaml-mcp-server's webhooks, or a codex-k8s control plane). The adapter behaves as the Telegram programs
/// do (`TelegramAdapters`): pending the first time, "already exists" for a correlation id it holds.
struct Flow {
    let relay: TestRelay
    let adapter: StandInServer
    let receiver: StandInServer
    let telegram: TelegramAdapters

    /// Registers an approver at `/approve` and an executor at `/execute` on the adapter.
    func registerAdapters() async throws {
        _ = try await registerEndpoint(relay, name: "approver", url: adapter.url + "/approve")
        _ = try await registerEndpoint(relay, name: "executor", url: adapter.url + "/execute", role: "executor")
    }

    /// Submits an approval whose decision goes back to the receiver's `/approvals/webhook`.
    func submitApproval(_ correlationId: String, extra: [String: JSONValue] = [:]) async throws -> Answer {
        var fields = extra
        fields["callback"] = fields["callback"] ?? ["url": .string(receiver.url + "/approvals/webhook")]
        let answer = try await submit(relay, correlationId, extra: fields)
        #expect(answer.status == 202, "\(answer.text)")
        return answer
    }

    /// Submits an owner-feedback execution request (question, options, custom answer allowed).
    func submitExecution(_ correlationId: String, extra: [String: JSONValue] = [:]) async throws -> Answer {
        var body: [String: JSONValue] = [
            "kind": "execution", "correlation_id": .string(correlationId),
            "tool": ["name": "telegram_request_feedback", "title": "Request user feedback"],
            "arguments": ["question": "Which rollout strategy should we apply?", "options": ["Canary", "Blue/green", "Delay"], "allow_custom": true],
            "spec": ["kind": "telegram_feedback_v1", "options_min": 2, "options_max": 5],
            "callback": ["url": .string(receiver.url + "/executors/webhook")],
        ]
        for (key, value) in extra { body[key] = value }
        let answer = try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                    headers: ["Idempotency-Key": "key-\(correlationId)"], body: json(.object(body)))
        #expect(answer.status == 202, "\(answer.text)")
        return answer
    }

    /// The callback URL the adapter was handed for `correlationId` (waits for the delivery).
    func callbackURL(of correlationId: String) async throws -> String {
        try await eventually("the delivery of \(correlationId)") { delivery(of: correlationId) != nil }
        let received = try #require(delivery(of: correlationId))
        let body = try #require(JSONValue.parse(received.body))
        return try #require(body["callback"]?["url"]?.stringValue)
    }

    func delivery(of correlationId: String) -> ReceivedRequest? {
        adapter.requests.first { JSONValue.parse($0.body)?["correlation_id"]?.stringValue == correlationId }
    }

    /// The forwards the receiver got for `correlationId` (contract A), or for `approvalRequestId` (contract B).
    func forwards(of correlationId: String? = nil, approvalRequestId: Int64? = nil) -> [JSONValue] {
        receiver.requests.compactMap { JSONValue.parse($0.body) }.filter {
            if let correlationId { return $0["correlation_id"]?.stringValue == correlationId }
            if let approvalRequestId { return $0["approval_request_id"]?.int64Value == approvalRequestId }
            return false
        }
    }

    /// What an adapter does when the human decides: POST the callback URL it was given.
    func callBack(_ url: String, _ body: JSONValue) async throws -> Answer {
        try await call(.POST, url, body: json(body))
    }

    func state(_ key: String) async throws -> String? {
        try await timeline(relay, key)["state"]?.stringValue
    }
}

func withFlow(
    store: StoreKind = .sqlite, location: StoreLocation? = nil, receiver receiverAnswer: CannedAnswer = CannedAnswer(status: .ok), clock: any RelayClock = SystemClock(),
    controlPlane: ((String) -> ControlPlaneSettings)? = nil,
    _ body: (Flow) async throws -> Void
) async throws {
    let adapter = try await StandInServer.start()
    let telegram = TelegramAdapters()
    adapter.respond { telegram.answer($0) }
    let receiver = try await StandInServer.start(receiverAnswer)
    let relay = try await TestRelay.start(store: store, location: location, clock: clock, controlPlane: controlPlane?(receiver.url))
    do {
        try await body(Flow(relay: relay, adapter: adapter, receiver: receiver, telegram: telegram))
    } catch {
        await relay.stop(); await adapter.stop(); await receiver.stop()
        throw error
    }
    await relay.stop(); await adapter.stop(); await receiver.stop()
}
