import Foundation
import RelayCore
import RelayStore

/// What a message needs at send time that the store does not hold: the callback URL completed into a
/// delivery's body, the headers and secrets of its destination, and the meaning of the answer for the
/// request (a synchronous decision, the control plane's echo).
public struct DeliveryRouting: Sendable {
    public var planner: ForwardPlanner
    public var capability: CallbackCapability
    /// Signs forwards to a request's own `callback.url`. Whoever holds the submit token chooses that URL,
    /// so the control plane's secret never signs there (SPEC §11); nil sends them unsigned.
    public var callbackSigningSecret: WebhookSecret?

    public init(planner: ForwardPlanner, capability: CallbackCapability, callbackSigningSecret: WebhookSecret? = nil) {
        self.planner = planner
        self.capability = capability
        self.callbackSigningSecret = callbackSigningSecret
    }

    /// The bytes, headers and secrets of one attempt.
    public struct Target: Sendable {
        public var body: Data
        public var headers: [String: String]
        public var secrets: [WebhookSecret]
    }

    func target(for message: Message, endpoint: Endpoint?, at now: Date) -> Target {
        switch message.purpose {
        case .delivery:
            return Target(
                body: TimeLeft.stamp(capability.complete(message.body, requestId: message.requestId), deadline: message.deadline, now: now),
                headers: endpoint?.headers ?? [:],
                secrets: (endpoint?.activeSecrets(at: now) ?? []).compactMap { WebhookSecret($0.secret) }
            )
        case .forward:
            switch message.sink ?? .callback {
            case .callback:
                return Target(body: message.body, headers: [:], secrets: callbackSigningSecret.map { [$0] } ?? [])
            case .codexK8s, .native:
                var headers: [String: String] = [:]
                if message.sink == .codexK8s, let token = planner.controlPlane?.token { headers["X-Codex-MCP-Token"] = token }
                let secrets = planner.controlPlane?.secret.flatMap(WebhookSecret.init).map { [$0] } ?? []
                return Target(body: message.body, headers: headers, secrets: secrets)
            }
        }
    }

    /// The attempt with the request's callback token blotted out of what the receiver said: an adapter that
    /// echoes its body back must not put the capability into the attempt history (and so the timeline API).
    func redacted(_ attempt: Attempt, of message: Message) -> Attempt {
        guard message.purpose == .delivery, attempt.responseExcerpt != nil || attempt.error != nil else { return attempt }
        let token = capability.token(for: message.requestId)
        var redacted = attempt
        redacted.responseExcerpt = attempt.responseExcerpt?.replacingOccurrences(of: token, with: "<callback-token>")
        redacted.error = attempt.error?.replacingOccurrences(of: token, with: "<callback-token>")
        return redacted
    }

    /// A synchronous adapter's decision carried by a delivery's answer (SPEC §4, second row).
    func decision(in verdict: AnswerClass, of message: Message) -> NormalizedDecision? {
        guard message.purpose == .delivery, case .delivered(let adapterVerdict?) = verdict else { return nil }
        guard case .success(var decision) = DecisionNormalization.normalize(.verdict(adapterVerdict)) else { return nil }
        decision.actor = decision.actor ?? "endpoint:\(message.endpointName)"
        return decision
    }

    /// A stuck adapter's failure for the request (SPEC §16), when this delivery's answer shows one.
    func requestFailure(of message: Message, answer: DeliveryAnswer) -> NormalizedDecision? {
        guard message.purpose == .delivery else { return nil }
        return StuckAdapter.reason(answer, previousError: message.lastError)?.failure(endpoint: message.endpointName)
    }

    /// What codex-k8s answered to a forward, flagged when it contradicts the decision sent (SPEC §6.2).
    func controlPlaneAnswer(to message: Message, answer: DeliveryAnswer, verdict: AnswerClass) -> ControlPlaneAnswer? {
        guard message.sink == .codexK8s, case .delivered = verdict, case .response(_, _, let body) = answer,
              let state = ControlPlaneEcho.state(in: body) else { return nil }
        let sent = JSONValue.parse(message.body)?["decision"]?.stringValue.flatMap(Decision.init(rawValue:))
        return ControlPlaneAnswer(state: state, flag: sent.flatMap { ControlPlaneEcho.contradiction(sent: $0, answered: state) })
    }
}
