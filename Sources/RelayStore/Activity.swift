import Foundation

/// Recent activity, for the console's overview and endpoint pages: requests by state, and per endpoint
/// the attempts since a point in time with the latest failure among them.
public struct ActivitySummary: Sendable, Equatable {
    public var requestsByState: [String: Int] = [:]
    /// By endpoint name (forwards to the control plane under their sink's name).
    public var endpoints: [String: EndpointActivity] = [:]

    public init() {}

    public var delivered: Int { endpoints.values.reduce(0) { $0 + $1.delivered } }
    public var failed: Int { endpoints.values.reduce(0) { $0 + $1.failed } }
}

public struct EndpointActivity: Sendable, Equatable {
    public var delivered = 0
    /// Attempts that ended retryable or permanent.
    public var failed = 0
    public var lastError: String?
    public var lastErrorAt: Date?

    public init() {}

    /// Delivered attempts out of all, or nil without any.
    public var successRate: Double? {
        delivered + failed == 0 ? nil : Double(delivered) / Double(delivered + failed)
    }
}

/// The statements both stores run for `activity(since:)`; `?` is the one parameter, the cutoff in unix seconds.
enum ActivityQueries {
    static let requestsByState = "SELECT state, count(*) FROM requests GROUP BY state"
    static let attemptsByEndpoint = """
        SELECT m.endpoint_name, a.outcome, count(*) FROM attempts a JOIN messages m ON m.id = a.message_id
        WHERE a.started_at >= ? GROUP BY m.endpoint_name, a.outcome
        """
    static let lastFailureByEndpoint = """
        SELECT endpoint_name, error, status_code, started_at FROM (
            SELECT m.endpoint_name, a.error, a.status_code, a.started_at,
                   row_number() OVER (PARTITION BY m.endpoint_name ORDER BY a.started_at DESC) AS latest
            FROM attempts a JOIN messages m ON m.id = a.message_id
            WHERE a.started_at >= ? AND a.outcome <> 'delivered'
        ) failures WHERE latest = 1
        """

    /// The failure as an operator reads it: the error, or the status the endpoint answered.
    static func describe(error: String?, status: Int?) -> String {
        if let error, !error.isEmpty { return error }
        return status.map { "answered HTTP \($0)" } ?? "failed"
    }
}

extension ActivitySummary {
    mutating func addAttempts(endpoint: String, outcome: String, count: Int) {
        if outcome == "delivered" { endpoints[endpoint, default: EndpointActivity()].delivered += count }
        else { endpoints[endpoint, default: EndpointActivity()].failed += count }
    }

    mutating func addLastFailure(endpoint: String, error: String?, status: Int?, at: Double) {
        endpoints[endpoint, default: EndpointActivity()].lastError = ActivityQueries.describe(error: error, status: status)
        endpoints[endpoint, default: EndpointActivity()].lastErrorAt = Date(timeIntervalSince1970: at)
    }
}
