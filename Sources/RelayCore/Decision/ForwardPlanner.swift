import Foundation

/// Where a forward goes, which decides its body and its headers (SPEC §6).
public enum ForwardSink: String, Sendable, Codable, CaseIterable {
    /// The request's own `callback.url`, contract A (§6.1).
    case callback
    /// The configured codex-k8s control plane, contract B (§6.2).
    case codexK8s = "codex-k8s"
    /// The configured native control plane, Standard-Webhooks-signed JSON (§6.3).
    case native
}

/// Builds the forward messages a decision owes: one per sink the request has.
public struct ForwardPlanner: Sendable {
    public var controlPlane: ControlPlaneSink?
    /// How long a forward keeps being retried after the decision.
    public var forwardWindow: TimeInterval

    public init(controlPlane: ControlPlaneSink?, forwardWindow: TimeInterval = 86400) {
        self.controlPlane = controlPlane
        self.forwardWindow = forwardWindow
    }

    /// True when a request with these properties has somewhere for its decision to go.
    public func hasSink(callbackURL: String?, approvalRequestId: Int64?) -> Bool {
        callbackURL != nil || controlPlane?.receives(approvalRequestId: approvalRequestId) == true
    }

    /// The forward messages of `decision` for `request`, due at `now`.
    public func messages(for request: RelayRequest, decision: NormalizedDecision, now: Date) -> [Message] {
        var messages: [Message] = []
        func add(_ sink: ForwardSink, name: String, url: String, body: JSONValue) {
            messages.append(Message(
                id: Identifier.make("msg", at: now), requestId: request.id, endpointId: nil, endpointName: name,
                purpose: .forward, url: url, body: body.encoded(), state: .pending, attemptCount: 0, dueAt: now,
                deadline: now.addingTimeInterval(forwardWindow), createdAt: now, updatedAt: now, sink: sink
            ))
        }
        if let callback = request.callbackURL {
            add(.callback, name: "callback", url: callback, body: ForwardBodies.contractA(request, decision))
        }
        if let controlPlane, controlPlane.receives(approvalRequestId: request.approvalRequestId) {
            switch controlPlane.format {
            case .codexK8s:
                let role = request.kind == .approval ? "approver" : "executor"
                let base = controlPlane.url.hasSuffix("/") ? String(controlPlane.url.dropLast()) : controlPlane.url
                add(.codexK8s, name: "control-plane", url: "\(base)/api/v1/mcp/\(role)/callback",
                    body: ForwardBodies.contractB(request, decision))
            case .native:
                add(.native, name: "control-plane", url: controlPlane.url, body: ForwardBodies.native(request, decision, at: now))
            }
        }
        return messages
    }
}

/// The forward bodies of SPEC §6, one function per contract.
public enum ForwardBodies {
    /// §6.1: what yaml-mcp-server's webhooks accept. approved/applied → approve (executor: success with
    /// the adapter's result), denied → deny, expired → error with the timeout text, failed → error.
    public static func contractA(_ request: RelayRequest, _ decision: NormalizedDecision) -> JSONValue {
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
            }
        }
        return .object(body)
    }

    /// §6.2: codex-k8s `MCPApprovalCallbackRequest`. An executor's result travels in `reason`.
    public static func contractB(_ request: RelayRequest, _ decision: NormalizedDecision) -> JSONValue {
        let reason = decision.reason ?? decision.result.map(DecisionNormalization.text)
        return .object([
            "approval_request_id": request.approvalRequestId.map(JSONValue.integer) ?? .null,
            "decision": .string(decision.decision.rawValue),
            "reason": reason.map(JSONValue.string) ?? .null,
            "actor_id": .string(decision.actor ?? "webhook-relay"),
        ])
    }

    /// §6.3: the native event.
    public static func native(_ request: RelayRequest, _ decision: NormalizedDecision, at now: Date) -> JSONValue {
        let time = JSONValue.string(ISO8601.string(now))
        return .object([
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
        ])
    }
}

/// ISO 8601 in UTC with milliseconds, the relay's one wire format for times.
public enum ISO8601 {
    public static func string(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}

/// What codex-k8s answered to a forward, compared with what was sent (SPEC §6.2): it answers 200 with
/// its current `approval_state` even when it ignored the decision.
public enum ControlPlaneEcho {
    /// The `approval_state` in a codex-k8s answer body.
    public static func state(in body: Data) -> String? {
        JSONValue.parse(body)?["approval_state"]?.stringValue
    }

    /// A note when `answered` contradicts `sent`: it is neither the decision's state nor one the
    /// control plane may move on to from it (approved → applied is the normal case).
    public static func contradiction(sent: Decision, answered: String) -> String? {
        let sentState = RequestState(sent)
        guard let state = RequestState(rawValue: answered) else {
            return "control plane answered an unknown approval_state \(answered) to decision \(sent.rawValue)"
        }
        if state == sentState || RequestTransitions.allowed[sentState, default: []].contains(state) { return nil }
        return "control plane answered approval_state \(answered) to decision \(sent.rawValue): it did not take the decision"
    }
}
