import Foundation

/// Why a use case refused: what was wrong and what to do, with a stable code. Each door shows it its own
/// way (the HTTP surface as a status and `{"code","message","field"}`, the command line as a message).
public struct RelayError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The input is malformed (HTTP 400).
        case invalid
        /// What it names does not exist (404).
        case notFound
        /// It conflicts with what the relay holds (409).
        case conflict
        /// Well-formed, but the relay will not do it (422).
        case refused
    }

    public var kind: Kind
    public var code: String
    public var message: String
    /// The input field at fault, when one is.
    public var field: String?
    /// A request's current state, on refusals of the state machine.
    public var state: String?

    public init(_ kind: Kind, code: String, _ message: String, field: String? = nil, state: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
        self.state = state
    }

    public static func invalid(_ message: String, field: String?) -> RelayError {
        RelayError(.invalid, code: "invalid_request", message, field: field)
    }

    public static func notFound(_ message: String) -> RelayError {
        RelayError(.notFound, code: "not_found", message)
    }

    public var description: String { message }
}
