import Foundation
import RelayCore
import RelayDelivery
import RelayStore

/// The dead-letter filters (endpoint, kind, reason class, since/until), read the same way from a query
/// string, a bulk-replay body and the command line.
public enum DeadLetterFilter {
    /// The filters, by the names the query string, the bulk-replay body and the console's forms use.
    public static let names = ["endpoint", "kind", "reason", "since", "until"]

    public static func make(endpoint: String?, kind: String?, reason: String?, since: String?, until: String?) throws -> DeadLetterQuery {
        // An empty filter (`?since=`, as forms and scripts send) means the filter is not given.
        func given(_ text: String?) -> String? { text?.isEmpty == false ? text : nil }
        let (endpoint, kind, reason, since, until) = (given(endpoint), given(kind), given(reason), given(since), given(until))
        var query = DeadLetterQuery()
        query.endpoint = endpoint
        if let kind {
            guard let parsed = RequestKind(rawValue: kind) else { throw RelayError.invalid("kind must be approval or execution", field: "kind") }
            query.kind = parsed
        }
        if let reason {
            guard let parsed = DeadLetterReason(rawValue: reason) else {
                throw RelayError.invalid("reason must be permanent, exhausted or deadline", field: "reason")
            }
            query.reason = parsed
        }
        query.since = try APITime.filter(since, field: "since")
        query.until = try APITime.filter(until, field: "until")
        return query
    }
}
