import Foundation
import RelayCore
import RelayStore

/// What a message needs at send time that the store does not hold: the callback URL completed into a
/// delivery's body, the headers and secrets of its destination, and the meaning of the answer for the
/// request (a synchronous decision, the control plane's echo).
public struct DeliveryRouting: Sendable {
    /// The forward contracts configured, each deciding its forwards' bodies, headers, signatures and answers.
    public var planner: ForwardPlanner
    public var capability: CallbackCapability

    public init(planner: ForwardPlanner, capability: CallbackCapability) {
        self.planner = planner
        self.capability = capability
    }

    /// Makes deliveries with their own capabilities: at submit, and when an escalation step fires.
    public var deliveries: DeliveryFactory { DeliveryFactory(capability: capability) }

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
                body: TimeLeft.stamp(capability.complete(message), deadline: message.deadline, now: now),
                headers: endpoint?.headers ?? [:],
                secrets: (endpoint?.activeSecrets(at: now) ?? []).compactMap { WebhookSecret($0.secret) }
            )
        case .notice:
            // To the endpoint's resolution URL, as its deliveries go: its headers, signed with its secret.
            return Target(body: message.body, headers: endpoint?.headers ?? [:],
                          secrets: (endpoint?.activeSecrets(at: now) ?? []).compactMap { WebhookSecret($0.secret) })
        case .event:
            // Signed with `ops.secret`; an event stored before `ops.url` was unset goes unsigned, never with another key.
            return Target(body: message.body, headers: [:], secrets: planner.events?.secret.map { [$0] } ?? [])
        case .forward:
            // A forward whose contract is no longer configured goes unsigned and without headers, never with another's.
            let contract = planner.contract(for: message.sink)
            return Target(body: message.body, headers: contract?.headers(for: message) ?? [:], secrets: contract?.signingSecrets ?? [])
        }
    }

    /// The attempt with the request's callback token blotted out of what the receiver said: an adapter that
    /// echoes its body back must not put the capability into the attempt history (and so the timeline API).
    func redacted(_ attempt: Attempt, of message: Message) -> Attempt {
        guard message.purpose == .delivery, attempt.responseExcerpt != nil || attempt.error != nil else { return attempt }
        let token = capability.token(of: message)
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

    /// What a control plane's answer to a delivered forward says about the request (codex-k8s's echo, SPEC §6.2).
    func controlPlaneAnswer(to message: Message, answer: DeliveryAnswer, verdict: AnswerClass) -> ControlPlaneAnswer? {
        guard message.purpose == .forward, case .delivered = verdict else { return nil }
        return planner.contract(for: message.sink)?.echo(of: message.body, answer: answer)
    }

    /// What an answer means: the relay's answer table (SPEC §4), then, for a forward, its contract's own words.
    func classify(_ message: Message, answer: DeliveryAnswer, now: Date) -> AnswerClass {
        let verdict = AnswerClassification.classify(answer, now: now, previousError: message.lastError)
        guard message.purpose == .forward, let contract = planner.contract(for: message.sink) else { return verdict }
        return contract.classify(answer, table: verdict, now: now)
    }

    /// True when the receiver of a forward said it no longer waits for it (contract A's 404, SPEC §16).
    func abandons(_ message: Message, answer: DeliveryAnswer) -> Bool {
        message.purpose == .forward && planner.contract(for: message.sink)?.abandons(answer) == true
    }
}
