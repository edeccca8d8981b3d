import Foundation
import RelayCore

/// Contract B, codex-k8s's api-gateway (`MCPApprovalCallbackRequest`): its callbacks name a request by
/// `approval_request_id`, and it receives decisions at `/api/v1/mcp/{approver|executor}/callback` with
/// `X-Codex-MCP-Token`, answering 200 with its `approval_state` even when it ignored the decision.
public struct CodexK8sForwards: ForwardContract {
    public var settings: ControlPlaneSettings
    public init(settings: ControlPlaneSettings) { self.settings = settings }

    public var sink: ForwardSink { ForwardSink(rawValue: "codex-k8s") }
    public var requirement: String { "send approval_request_id for the configured codex-k8s control plane" }
    /// codex-k8s only knows the requests it numbered.
    public func receives(_ target: ForwardTarget) -> Bool { target.approvalRequestId != nil }

    /// An executor's result travels in `reason`.
    public func forward(of request: RelayRequest, _ decision: NormalizedDecision, at now: Date, messageId: String) -> Forward? {
        let role = request.kind == .approval ? "approver" : "executor"
        let base = settings.url.hasSuffix("/") ? String(settings.url.dropLast()) : settings.url
        // codex-k8s knows no cancelled decision: a cancel reaches it as failed, its reason saying so (SPEC §12).
        let cancelled = decision.decision == .cancelled
        let reason = cancelled ? Cancellation.reason(decision.reason) : decision.reason ?? decision.result.map(DecisionNormalization.text)
        return Forward(name: "control-plane", url: "\(base)/api/v1/mcp/\(role)/callback", body: .object([
            "approval_request_id": request.approvalRequestId.map(JSONValue.integer) ?? .null,
            "decision": .string(cancelled ? Decision.failed.rawValue : decision.decision.rawValue),
            "reason": reason.map(JSONValue.string) ?? .null,
            "actor_id": .string(decision.actor ?? "webhook-relay"),
        ]))
    }

    public func headers(for message: Message) -> [String: String] { settings.token.map { ["X-Codex-MCP-Token": $0] } ?? [:] }
    public var signingSecrets: [WebhookSecret] { settings.secret.map { [$0] } ?? [] }

    /// The `approval_state` it answered, flagged when it contradicts the decision sent: neither the decision's
    /// state nor one the control plane may move on to from it (approved → applied is the normal case).
    public func echo(of sent: Data, answer: DeliveryAnswer) -> ControlPlaneAnswer? {
        guard case .response(let status, _, let body) = answer, (200..<300).contains(status),
              let state = JSONValue.parse(body)?["approval_state"]?.stringValue else { return nil }
        let decision = JSONValue.parse(sent)?["decision"]?.stringValue.flatMap(Decision.init(rawValue:))
        return ControlPlaneAnswer(state: state, flag: decision.flatMap { Self.contradiction(sent: $0, answered: state) })
    }

    static func contradiction(sent: Decision, answered: String) -> String? {
        let sentState = RequestState(sent)
        guard let state = RequestState(rawValue: answered) else {
            return "control plane answered an unknown approval_state \(answered) to decision \(sent.rawValue)"
        }
        if state == sentState || RequestTransitions.allowed[sentState, default: []].contains(state) { return nil }
        return "control plane answered approval_state \(answered) to decision \(sent.rawValue): it did not take the decision"
    }
}

/// codex-k8s's callbacks: `{"approval_request_id", "decision", "reason"?, "actor_id"?}`; `correlation_id` may
/// stand in for `approval_request_id`. Unknown fields are refused, as codex-k8s does.
public struct CodexK8sCallbacks: CallbackContract {
    public init() {}
    public var door: String { "contract-b" }
    public var paths: [(path: String, kind: RequestKind?)] { [("/api/v1/mcp/approver/callback", nil), ("/api/v1/mcp/executor/callback", nil)] }

    public func read(_ body: Data, kind: RequestKind?) throws(DecisionError) -> (NormalizedDecision, RequestLookupKey) {
        guard let value = JSONValue.parse(body) else { throw DecisionError(field: "body", message: "the body is not valid JSON") }
        guard let object = value.objectValue else { throw DecisionError(field: "body", message: "the body must be a JSON object") }
        let known: Set<String> = ["approval_request_id", "correlation_id", "decision", "reason", "actor_id"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw DecisionError(field: unknown, message: "unknown field \(unknown)")
        }
        let correlation = try ContractA.optionalString(object, "correlation_id")
        let lookup: RequestLookupKey
        switch object["approval_request_id"] {
        case nil, .null?:
            guard let correlationId = correlation, !correlationId.isEmpty else {
                throw DecisionError(field: "approval_request_id", message: "approval_request_id is required (a positive int64), or correlation_id")
            }
            lookup = .correlationId(correlationId, kind: nil)
        case let value?:
            guard let id = value.int64Value, id > 0 else {
                throw DecisionError(field: "approval_request_id", message: "approval_request_id must be a positive int64")
            }
            lookup = .approvalRequestId(id)
        }
        guard let decision = object["decision"]?.stringValue, !decision.isEmpty else {
            throw DecisionError(field: "decision", message: "decision is required: approved, denied, expired, failed or applied")
        }
        let incoming = IncomingDecision.codex(decision: decision, reason: try ContractA.optionalString(object, "reason"),
                                              actor: try ContractA.optionalString(object, "actor_id"))
        return (try DecisionNormalization.normalize(incoming).get(), lookup)
    }
}
