import Foundation

/// One try of a message.
public struct Attempt: Sendable, Equatable {
    public var messageId: String
    public var number: Int
    public var startedAt: Date
    public var durationMs: Int
    /// The HTTP status, when an answer came.
    public var statusCode: Int?
    /// The transport error or the failure reason, when there was one.
    public var error: String?
    /// At most 4 KiB of the answer's body.
    public var responseExcerpt: String?
    public var outcome: AttemptOutcome

    public init(
        messageId: String, number: Int, startedAt: Date, durationMs: Int, statusCode: Int?, error: String?,
        responseExcerpt: String?, outcome: AttemptOutcome
    ) {
        self.messageId = messageId
        self.number = number
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.statusCode = statusCode
        self.error = error
        self.responseExcerpt = responseExcerpt
        self.outcome = outcome
    }

    /// The longest response excerpt kept with an attempt.
    public static let excerptLimit = 4096
}

/// How one attempt ended.
public enum AttemptOutcome: String, Sendable, Codable {
    case delivered
    case retryable
    case permanent
}
