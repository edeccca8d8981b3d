import Foundation
import RelayCore

/// A request to store, with the messages it owes and the answer to keep for idempotent replays.
public struct NewRequest: Sendable {
    public var request: RelayRequest
    public var messages: [Message]
    public var idempotency: IdempotencyRecord?

    public init(request: RelayRequest, messages: [Message], idempotency: IdempotencyRecord?) {
        self.request = request
        self.messages = messages
        self.idempotency = idempotency
    }
}

/// The first answer to an `Idempotency-Key`, kept so a retry of the same submit gets it again.
public struct IdempotencyRecord: Sendable, Equatable {
    public var key: String
    public var bodyHash: String
    public var responseStatus: Int
    public var responseBody: Data

    public init(key: String, bodyHash: String, responseStatus: Int, responseBody: Data) {
        self.key = key
        self.bodyHash = bodyHash
        self.responseStatus = responseStatus
        self.responseBody = responseBody
    }
}

/// What a submit did.
public enum SubmitOutcome: Sendable, Equatable {
    /// Stored.
    case created(RelayRequest)
    /// The key was seen with the same body: the first answer again.
    case replayed(status: Int, body: Data)
    /// The key was seen with another body.
    case keyReused
    /// Another request already holds this correlation id.
    case correlationIdTaken(existing: RelayRequest)
    /// Another open (not yet final) request already holds this `approval_request_id` (SPEC §11).
    case approvalRequestIdOpen(existing: RelayRequest)
}
