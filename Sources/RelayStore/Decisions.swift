import Foundation
import RelayCore

/// How a callback names its request.
public enum RequestLookup: Sendable, Equatable {
    case id(String)
    /// The hash of a capability token from a per-request callback URL.
    case callbackTokenHash(String)
    /// Contract A shared webhooks: the correlation id, within one kind.
    case correlationId(String, kind: RequestKind?)
    /// Contract B: the control plane's id (the open request carrying it, else the newest).
    case approvalRequestId(Int64)
}

/// What applying a decision did.
public enum DecisionOutcome: Sendable, Equatable {
    /// A new transition: the request moved and its forwards were committed with it.
    case moved(RelayRequest)
    /// The same decision again: nothing changed, nothing forwarded.
    case duplicate(RelayRequest)
    /// The state machine refused it; the request is unchanged.
    case refused(RelayRequest)
    case notFound
}

extension CallbackRecord {
    /// What the timeline keeps of a callback, from what the decision did; nil when it named no request.
    init?(_ callback: IncomingCallback, decision: NormalizedDecision, endpoint: String?, outcome: DecisionOutcome, at now: Date) {
        let (kept, state): (Outcome, RequestState)
        switch outcome {
        case .moved(let request): (kept, state) = (.applied, request.state)
        case .duplicate(let request): (kept, state) = (.duplicate, request.state)
        case .refused(let request): (kept, state) = (.ignored, request.state)
        case .notFound: return nil
        }
        let actor = decision.actor.flatMap { $0 == endpoint.map { "endpoint:\($0)" } ? nil : $0 }
        self.init(path: callback.path, receivedAt: now, decision: decision.decision.rawValue, outcome: kept, endpoint: endpoint,
                  actor: actor, state: state, excerpt: callback.excerpt)
    }
}
