import Foundation
import RelayCore

/// How a callback names its request.
public enum RequestLookup: Sendable, Equatable {
    case id(String)
    /// The hash of a capability token from a per-request callback URL.
    case callbackTokenHash(String)
    /// Contract A shared webhooks: the correlation id, within one kind.
    case correlationId(String, kind: RequestKind?)
    /// Contract B: the control plane's id (the newest request carrying it).
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

/// A codex-k8s answer to a forward: the `approval_state` it reported, and a note when that contradicts
/// the decision sent.
public struct ControlPlaneAnswer: Sendable, Equatable {
    public var state: String
    public var flag: String?

    public init(state: String, flag: String?) {
        self.state = state
        self.flag = flag
    }
}
