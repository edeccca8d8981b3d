import Foundation
import RelayCore

/// Contract A, yaml-mcp-server's (`internal/protocol/protocol.go`): what its HTTP approvers and executors
/// (telegram-approver, telegram-executor) send and receive. Adapters are delivered contract-A requests;
/// their callbacks and a request's own `callback.url` speak it.
public enum ContractA {
    /// SPEC §6.1: what yaml-mcp-server's webhooks accept. approved/applied → approve (executor: success with
    /// the adapter's result), denied → deny, expired → error with the timeout text, failed → error, cancelled
    /// → error with `cancelled: <reason>` (SPEC §12).
    public static func body(_ request: RelayRequest, _ decision: NormalizedDecision) -> JSONValue {
        var body: [String: JSONValue] = ["correlation_id": .string(request.correlationId), "tool": .string(request.tool)]
        switch request.kind {
        case .approval:
            switch decision.decision {
            case .approved, .applied:
                body["decision"] = "approve"
                body["reason"] = .string(decision.reason ?? "approved")
            case .denied:
                body["decision"] = "deny"
                body["reason"] = .string(decision.reason ?? "denied")
            case .expired:
                body["decision"] = "error"
                body["reason"] = .string(DecisionNormalization.approvalTimeout)
            case .failed:
                body["decision"] = "error"
                body["reason"] = .string(decision.reason ?? "approver error")
            case .cancelled:
                body["decision"] = "error"
                body["reason"] = .string(Cancellation.reason(decision.reason))
            }
        case .execution:
            switch decision.decision {
            case .approved, .applied:
                body["status"] = "success"
                body["result"] = decision.result ?? .string(decision.reason ?? "ok")
            case .denied:
                body["status"] = "error"
                body["result"] = .string(decision.reason ?? "denied")
            case .expired:
                body["status"] = "error"
                body["result"] = .string(DecisionNormalization.executionTimeout)
            case .failed:
                body["status"] = "error"
                body["result"] = decision.result ?? .string(decision.reason ?? "executor error")
            case .cancelled:
                body["status"] = "error"
                body["result"] = .string(Cancellation.reason(decision.reason))
            }
        }
        return .object(body)
    }

    /// A callback: `{"correlation_id","decision","reason","tool"}` or `{"correlation_id","status","result","tool"}`,
    /// normalized through SPEC §5's table. The correlation id may be left out on a capability URL, which names the request itself.
    public static func read(_ body: Data, kind: RequestKind, correlationRequired: Bool) throws(DecisionError) -> (NormalizedDecision, String?) {
        guard let value = JSONValue.parse(body) else { throw DecisionError(field: nil, message: "the body is not valid JSON") }
        guard let object = value.objectValue else { throw DecisionError(field: nil, message: "the body must be a JSON object") }
        var correlationId: String?
        switch object["correlation_id"] {
        case nil, .null?:
            if correlationRequired { throw DecisionError(field: "correlation_id", message: "correlation_id is required") }
        case .string(let text)? where !text.isEmpty:
            correlationId = text
        default:
            throw DecisionError(field: "correlation_id", message: "correlation_id must be a non-empty string")
        }
        let incoming: IncomingDecision
        switch kind {
        case .approval:
            guard let decision = object["decision"]?.stringValue, !decision.isEmpty else {
                throw DecisionError(field: "decision", message: "decision is required: approve, deny or error")
            }
            incoming = .approver(decision: decision, reason: try optionalString(object, "reason"))
        case .execution:
            guard let status = object["status"]?.stringValue, !status.isEmpty else {
                throw DecisionError(field: "status", message: "status is required: success or error")
            }
            incoming = .executor(status: status, result: object["result"])
        }
        return (try DecisionNormalization.normalize(incoming).get(), correlationId)
    }

    static func optionalString(_ object: [String: JSONValue], _ field: String) throws(DecisionError) -> String? {
        switch object[field] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw DecisionError(field: field, message: "\(field) must be a string")
        }
    }
}

/// Decisions to a request's own `callback.url`, signed with `callback_signing_secret` when one is set: whoever
/// holds the submit token chooses that URL, so the control plane's secret never signs there (SPEC §11).
public struct ContractAForwards: ForwardContract {
    public var signingSecret: WebhookSecret?
    public init(signingSecret: WebhookSecret?) { self.signingSecret = signingSecret }

    public var sink: ForwardSink { .callback }
    public var requirement: String { "send callback.url" }
    public func receives(_ target: ForwardTarget) -> Bool { target.callbackURL != nil }
    public func forward(of request: RelayRequest, _ decision: NormalizedDecision, at now: Date, messageId: String) -> Forward? {
        Forward(name: "callback", url: request.callbackURL ?? "", body: ContractA.body(request, decision))
    }
    public var signingSecrets: [WebhookSecret] { signingSecret.map { [$0] } ?? [] }

    /// SPEC §16: yaml-mcp-server registers a request before it sends it and drops it when its own wait ends
    /// (`internal/approver/http/http.go`, `Client.Approve`: `Pending.Register`, then `defer Pending.Cancel`), and
    /// its webhook handler (`internal/approver/http/async.go`) answers a bare 404 for an id it no longer waits
    /// for. It sends `timeout_sec` equal to its own wait and starts its clock first, so the relay's expiry
    /// forward routinely meets that 404. Nothing is lost there and retrying cannot help: `abandoned`.
    public func abandons(_ answer: DeliveryAnswer) -> Bool {
        if case .response(404, _, _) = answer { return true }
        return false
    }
}

/// Contract A's shared-token webhooks: `POST /approvals/webhook`, `POST /executors/webhook`, by correlation id.
public struct ContractACallbacks: CallbackContract {
    public init() {}
    public var door: String { "contract-a" }
    public var paths: [(path: String, kind: RequestKind?)] { [("/approvals/webhook", .approval), ("/executors/webhook", .execution)] }
    public func read(_ body: Data, kind: RequestKind?) throws(DecisionError) -> (NormalizedDecision, RequestLookupKey) {
        let kind = kind ?? .approval
        let (decision, correlationId) = try ContractA.read(body, kind: kind, correlationRequired: true)
        return (decision, .correlationId(correlationId!, kind: kind))
    }
}
