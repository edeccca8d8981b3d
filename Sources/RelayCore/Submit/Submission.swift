import Foundation

/// A submit that passed validation: what the store needs to create a request.
public struct Submission: Sendable, Equatable {
    public var kind: RequestKind
    public var correlationId: String
    public var approvalRequestId: Int64?
    public var tool: String
    /// The contract-A body to deliver: the submitted body less the relay's own fields.
    public var payload: JSONValue
    public var callbackURL: String?
    public var timeoutSec: Int?
    /// Endpoint names the submit chose; nil means "every matching endpoint".
    public var endpointNames: [String]?
    /// `approval_policy.min_approvals` (SPEC §12); nil means one approval decides.
    public var minApprovals: Int?
    /// `escalation`: whom to ask next when nobody decided in time, in order.
    public var escalation: [EscalationRequest] = []
    /// `control_plane_ref`: the control plane's own reference for the request (kodex's interaction request id).
    public var controlPlaneRef: String?
}

/// One escalation step as submitted: seconds after submit, and endpoint names.
public struct EscalationRequest: Sendable, Equatable {
    public var afterSec: Int
    public var endpointNames: [String]

    public init(afterSec: Int, endpointNames: [String]) {
        self.afterSec = afterSec
        self.endpointNames = endpointNames
    }
}

/// A submit body that failed validation, naming the field.
public struct SubmissionError: Error, Sendable, Equatable {
    public var field: String?
    public var message: String

    public init(field: String?, _ message: String) {
        self.field = field
        self.message = message
    }
}
