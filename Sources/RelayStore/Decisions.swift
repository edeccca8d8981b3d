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
    /// What an operator types: the request's id, else its correlation id.
    case idOrCorrelationId(String)
}

/// What applying a decision did.
public enum DecisionOutcome: Sendable, Equatable {
    /// A new transition: the request moved and its forwards were committed with it.
    case moved(RelayRequest)
    /// The same decision again: nothing changed, nothing forwarded.
    case duplicate(RelayRequest)
    /// The state machine refused it; the request is unchanged.
    case refused(RelayRequest)
    /// A vote counted towards the request's quorum, which is not met yet (SPEC §12).
    case voted(RelayRequest, approvals: Int, needed: Int)
    /// A vote that cannot count: its endpoint voted otherwise already, or the door does not name an endpoint.
    case voteRefused(RelayRequest, reason: String)
    case notFound
}

extension CallbackRecord {
    /// What the timeline keeps of a callback, from what the decision did; nil when it did not come in as a
    /// callback or named no request.
    init?(_ source: DecisionSource, decision: NormalizedDecision, endpoint: String?, outcome: DecisionOutcome, at now: Date) {
        guard let door = source.door else { return nil }
        let (kept, state): (Outcome, RequestState)
        switch outcome {
        case .moved(let request), .voted(let request, _, _): (kept, state) = (.applied, request.state)
        case .duplicate(let request): (kept, state) = (.duplicate, request.state)
        case .refused(let request), .voteRefused(let request, _): (kept, state) = (.ignored, request.state)
        case .notFound: return nil
        }
        let actor = decision.actor.flatMap { $0 == endpoint.map { "endpoint:\($0)" } ? nil : $0 }
        self.init(path: door, receivedAt: now, decision: decision.decision.rawValue, outcome: kept, endpoint: endpoint,
                  actor: actor, state: state, excerpt: source.excerpt)
    }
}

extension DecisionOutcome {
    /// The request as the decision left it; nil when none was found.
    public var request: RelayRequest? {
        switch self {
        case .moved(let request), .duplicate(let request), .refused(let request), .voted(let request, _, _), .voteRefused(let request, _):
            request
        case .notFound: nil
        }
    }
}
