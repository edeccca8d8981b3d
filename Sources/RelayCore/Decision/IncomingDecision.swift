import Foundation

/// A decision as a peer stated it, before normalization: one case per wire contract.
public enum IncomingDecision: Sendable, Equatable {
    /// Contract A, approver: `decision` is `approve`, `deny` or `error`.
    case approver(decision: String, reason: String?)
    /// Contract A, executor: `status` is `success` or `error`; `result` is any JSON.
    case executor(status: String, result: JSONValue?)
    /// Contract B (codex-k8s): `decision` is already one of the normalized names.
    case codex(decision: String, reason: String?, actor: String?)
    /// A synchronous adapter's answer to a delivery.
    case verdict(AdapterVerdict)
}

/// A decision in the relay's own terms, with what travels along with it.
public struct NormalizedDecision: Sendable, Equatable {
    public var decision: Decision
    public var reason: String?
    /// An executor's result, kept as sent.
    public var result: JSONValue?
    public var actor: String?

    public init(decision: Decision, reason: String? = nil, result: JSONValue? = nil, actor: String? = nil) {
        self.decision = decision
        self.reason = reason
        self.result = result
        self.actor = actor
    }

    /// What the relay decides when a request's deadline passes with no decision.
    public static let deadlineExpiry = NormalizedDecision(decision: .expired, reason: "deadline passed with no decision", actor: "webhook-relay")
}

/// Why an incoming decision could not be normalized; names the field at fault.
public struct DecisionError: Error, Sendable, Equatable {
    /// Nil when the body as a whole is at fault (not JSON, not an object).
    public var field: String?
    public var message: String

    public init(field: String?, message: String) {
        self.field = field
        self.message = message
    }
}
