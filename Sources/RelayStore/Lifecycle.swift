import Foundation
import RelayCore

/// A delivery of a request as a decision needs to see it: whom it went to, how far it got, and where that
/// endpoint wants to hear of the request's resolution.
public struct DeliveryState: Sendable, Equatable {
    public var messageId: String
    public var endpointId: String?
    public var endpointName: String
    public var state: MessageState
    public var attemptCount: Int
    /// The endpoint's `resolution_url`, when it has one.
    public var resolutionURL: String?

    public init(messageId: String, endpointId: String?, endpointName: String, state: MessageState, attemptCount: Int,
                resolutionURL: String? = nil) {
        self.messageId = messageId
        self.endpointId = endpointId
        self.endpointName = endpointName
        self.state = state
        self.attemptCount = attemptCount
        self.resolutionURL = resolutionURL
    }

    /// True when the endpoint was shown the request, or may have been: delivered, in flight, or tried and
    /// waiting for its retry (the answer to an attempt that timed out may never have come).
    public var mayHaveReached: Bool {
        state == .delivered || state == .inflight || (state == .pending && attemptCount > 0)
    }
}

/// The request a capability URL names, and the endpoint whose delivery carried it (nil for a capability
/// handed out before capabilities were per delivery: it names only its request).
public struct CapabilityHolder: Sendable, Equatable {
    public var request: RelayRequest
    public var endpoint: String?

    public init(request: RelayRequest, endpoint: String?) {
        self.request = request
        self.endpoint = endpoint
    }
}

/// What an escalation sweep did to one request.
public struct Escalation: Sendable, Equatable {
    public var request: RelayRequest
    /// The endpoints delivered to now.
    public var endpoints: [String]

    public init(request: RelayRequest, endpoints: [String]) {
        self.request = request
        self.endpoints = endpoints
    }
}

/// Filters and paging for the request list, newest first (the console's Requests tab, `GET /api/v1/requests`).
public struct RequestListQuery: Sendable, Equatable {
    public var state: RequestState?
    public var kind: RequestKind?
    /// Requests delivered to this endpoint (id or name).
    public var endpoint: String?
    public var since: Date?
    public var until: Date?
    public var cursor: String?
    public var limit: Int

    public init(state: RequestState? = nil, kind: RequestKind? = nil, endpoint: String? = nil, since: Date? = nil, until: Date? = nil,
                cursor: String? = nil, limit: Int = 50) {
        self.state = state
        self.kind = kind
        self.endpoint = endpoint
        self.since = since
        self.until = until
        self.cursor = cursor
        self.limit = limit
    }

    /// The filters as WHERE terms over `requests r`, each `?` standing for the next value, cursor included:
    /// the one rule of every store.
    var filterTerms: [(sql: String, values: [DeadLetterQuery.FilterValue])] {
        var terms: [(sql: String, values: [DeadLetterQuery.FilterValue])] = []
        if let state { terms.append(("r.state = ?", [.text(state.rawValue)])) }
        if let kind { terms.append(("r.kind = ?", [.text(kind.rawValue)])) }
        if let endpoint {
            terms.append(("EXISTS (SELECT 1 FROM messages m WHERE m.request_id = r.id AND m.purpose = 'delivery' AND (m.endpoint_id = ? OR m.endpoint_name = ?))",
                          [.text(endpoint), .text(endpoint)]))
        }
        if let since { terms.append(("r.created_at >= ?", [.seconds(since.timeIntervalSince1970)])) }
        if let until { terms.append(("r.created_at < ?", [.seconds(until.timeIntervalSince1970)])) }
        if let cursor = cursor.flatMap(DeadLetterCursor.init) {
            terms.append(("(r.created_at < ? OR (r.created_at = ? AND r.id < ?))",
                          [.seconds(cursor.deadAt), .seconds(cursor.deadAt), .text(cursor.id)]))
        }
        return terms
    }
}

/// One page of requests.
public struct RequestPage: Sendable, Equatable {
    public var items: [RelayRequest]
    public var nextCursor: String?

    public init(items: [RelayRequest], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Which audit entries to read: after a position, within a time range, at most `limit`.
public struct AuditQuery: Sendable, Equatable {
    public var afterSeq: Int64
    public var since: Date?
    public var until: Date?
    public var requestId: String?
    public var limit: Int

    public init(afterSeq: Int64 = 0, since: Date? = nil, until: Date? = nil, requestId: String? = nil, limit: Int = 500) {
        self.afterSeq = afterSeq
        self.since = since
        self.until = until
        self.requestId = requestId
        self.limit = limit
    }

    var filterTerms: [(sql: String, values: [DeadLetterQuery.FilterValue])] {
        var terms: [(sql: String, values: [DeadLetterQuery.FilterValue])] = [("seq > ?", [.integer(afterSeq)])]
        if let since { terms.append(("recorded_at_ms >= ?", [.integer(AuditRecord.milliseconds(since))])) }
        if let until { terms.append(("recorded_at_ms < ?", [.integer(AuditRecord.milliseconds(until))])) }
        if let requestId { terms.append(("request_id = ?", [.text(requestId)])) }
        return terms
    }
}

/// The last hour minute by minute, for the console's overview: attempts delivered and failed, dead letters,
/// and the latency from enqueue to delivery as counts per bucket (a histogram, so percentiles need no rows).
public struct MinuteActivity: Sendable, Equatable {
    public struct Minute: Sendable, Equatable {
        public var delivered = 0
        public var failed = 0
        public var dead = 0
        /// Deliveries per latency bucket (`MinuteActivity.latencyBounds`, then one past the last bound).
        public var latency: [Int] = Array(repeating: 0, count: MinuteActivity.latencyBounds.count + 1)

        public init() {}

        /// The latency under which `fraction` of this minute's deliveries fell, as the upper bound of its bucket
        /// (nil without deliveries; the last bound when it fell past every bound).
        public func percentile(_ fraction: Double) -> TimeInterval? {
            let total = latency.reduce(0, +)
            guard total > 0 else { return nil }
            let rank = Int((Double(total) * fraction).rounded(.up))
            var seen = 0
            for (index, count) in latency.enumerated() {
                seen += count
                if seen >= max(rank, 1) { return MinuteActivity.latencyBounds[min(index, MinuteActivity.latencyBounds.count - 1)] }
            }
            return MinuteActivity.latencyBounds.last
        }
    }

    /// Upper bounds of the latency buckets, in seconds (those of `relay_delivery_latency_seconds`).
    public static let latencyBounds: [TimeInterval] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]

    /// Minutes since the epoch → what happened in it.
    public var minutes: [Int: Minute] = [:]

    public init() {}

    /// The latency bucket as an SQL expression over a latency in seconds.
    static func bucketSQL(_ latency: String) -> String {
        "CASE " + latencyBounds.enumerated().map { "WHEN \(latency) <= \($1) THEN \($0)" }.joined(separator: " ") + " ELSE \(latencyBounds.count) END"
    }

    /// The statements of every store; `?` is the cutoff (unix seconds). Minutes are whole seconds / 60.
    static let attemptsSQL = """
        SELECT CAST(started_at AS BIGINT) / 60, outcome, count(*) FROM attempts WHERE started_at >= ? GROUP BY 1, 2
        """
    static let deadSQL = """
        SELECT CAST(dead_at AS BIGINT) / 60, count(*) FROM messages WHERE state = 'dead' AND dead_at >= ? GROUP BY 1
        """
    static let latencySQL = """
        SELECT CAST(a.started_at AS BIGINT) / 60, \(bucketSQL("(a.started_at + a.duration_ms / 1000.0 - m.created_at)")), count(*)
        FROM attempts a JOIN messages m ON m.id = a.message_id
        WHERE a.started_at >= ? AND a.outcome = 'delivered' GROUP BY 1, 2
        """

    mutating func addAttempts(minute: Int, outcome: String, count: Int) {
        if outcome == AttemptOutcome.delivered.rawValue { minutes[minute, default: Minute()].delivered += count }
        else { minutes[minute, default: Minute()].failed += count }
    }

    mutating func addDead(minute: Int, count: Int) {
        minutes[minute, default: Minute()].dead += count
    }

    mutating func addLatency(minute: Int, bucket: Int, count: Int) {
        guard (0...Self.latencyBounds.count).contains(bucket) else { return }
        minutes[minute, default: Minute()].latency[bucket] += count
    }
}
