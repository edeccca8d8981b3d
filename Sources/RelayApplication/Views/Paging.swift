import Foundation
import RelayStore

/// A page's `cursor` and `limit` as a door gives them, read one way for every list (dead letters, requests).
public enum Paging {
    public static let limits = 1...500

    /// A cursor as given (a `next_cursor` this relay handed out), or nil when not given.
    public static func cursor(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard DeadLetterCursor(text) != nil else { throw RelayError.invalid("cursor is not one this relay issued (a next_cursor)", field: "cursor") }
        return text
    }

    /// A page size as given, or nil when not given.
    public static func limit(_ text: String?) throws -> Int? {
        guard let text else { return nil }
        guard let limit = Int(text), limits.contains(limit) else {
            throw RelayError.invalid("limit must be a whole number from \(limits.lowerBound) to \(limits.upperBound)", field: "limit")
        }
        return limit
    }
}
