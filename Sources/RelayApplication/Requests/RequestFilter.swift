import Foundation
import RelayCore
import RelayStore

/// The request-list filters (state, kind, endpoint, since/until), read the same way from a query string, the
/// console's form and the command line.
public enum RequestFilter {
    public static let names = ["state", "kind", "endpoint", "since", "until"]

    public static func make(state: String?, kind: String?, endpoint: String?, since: String?, until: String?) throws -> RequestListQuery {
        func given(_ text: String?) -> String? { text?.isEmpty == false ? text : nil }
        var query = RequestListQuery()
        if let state = given(state) {
            guard let parsed = RequestState(rawValue: state) else {
                throw RelayError.invalid("state must be one of \(RequestState.allCases.map(\.rawValue).joined(separator: ", "))", field: "state")
            }
            query.state = parsed
        }
        if let kind = given(kind) {
            guard let parsed = RequestKind(rawValue: kind) else { throw RelayError.invalid("kind must be approval or execution", field: "kind") }
            query.kind = parsed
        }
        query.endpoint = given(endpoint)
        query.since = try APITime.filter(since, field: "since")
        query.until = try APITime.filter(until, field: "until")
        return query
    }
}

extension RelayApplication {
    /// A page of requests, newest first.
    public func requests(_ query: RequestListQuery) async throws -> RequestPage {
        try await store.requests(query)
    }
}
