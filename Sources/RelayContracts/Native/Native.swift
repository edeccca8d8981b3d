import Foundation
import RelayCore

/// The native control plane (SPEC §6.3): every decision as a Standard-Webhooks-signed `decision.resolved` event.
public struct NativeForwards: ForwardContract {
    public var settings: ControlPlaneSettings
    public init(settings: ControlPlaneSettings) { self.settings = settings }

    public var sink: ForwardSink { ForwardSink(rawValue: "native") }
    public var requirement: String { "" }
    public func receives(_ target: ForwardTarget) -> Bool { true }

    public func forward(of request: RelayRequest, _ decision: NormalizedDecision, at now: Date, messageId: String) -> Forward? {
        let time = JSONValue.string(ISO8601.string(now))
        return Forward(name: "control-plane", url: settings.url, body: .object([
            "type": "decision.resolved",
            "timestamp": time,
            "data": .object([
                "id": .string(request.id), "correlation_id": .string(request.correlationId),
                "approval_request_id": request.approvalRequestId.map(JSONValue.integer) ?? .null,
                "kind": .string(request.kind.rawValue), "tool": .string(request.tool),
                "decision": .string(decision.decision.rawValue),
                "reason": decision.reason.map(JSONValue.string) ?? .null,
                "actor": decision.actor.map(JSONValue.string) ?? .null,
                "result": decision.result ?? .null,
                "decided_at": time,
            ]),
        ]))
    }

    public var signingSecrets: [WebhookSecret] { settings.secret.map { [$0] } ?? [] }
}
