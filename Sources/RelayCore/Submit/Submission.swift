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
