import Foundation

/// How a decision reached the relay: the audit trail's `path` (SPEC §12).
public enum DecisionPath: String, Sendable, Codable, CaseIterable {
    /// A request's (or delivery's) own callback URL.
    case capability
    /// A shared-token callback path (contract A's webhooks, contract B's callbacks).
    case sharedToken = "shared-token"
    /// An adapter's answer to a delivery: a synchronous decision, or a stuck adapter's failure.
    case synchronousAnswer = "synchronous-answer"
    /// The admin API, the console or the command line.
    case admin
    /// The submit token's cancel: whoever asked withdrew the request.
    case submitter = "submit-token"
    /// The deadline passed.
    case expiry
}

/// Where a decision came from: the path, the endpoint when the path names one, and for a callback its door
/// and body (kept in the timeline; their SHA-256 in the audit trail).
public struct DecisionSource: Sendable, Equatable {
    public var path: DecisionPath
    /// The callback door as timelines and metrics name it (`capability`, `contract-a`, `contract-b`); nil when
    /// the decision did not come in as a callback.
    public var door: String?
    /// The endpoint that decided, when the path tells (a delivery's capability URL, its answer).
    public var endpoint: String?
    public var body: Data?
    /// The span of the step that decided (a callback's, an attempt's): the forwards it makes are its children.
    /// Nil: the request's own trace.
    public var trace: TraceHeaders?

    public init(path: DecisionPath, door: String? = nil, endpoint: String? = nil, body: Data? = nil, trace: TraceHeaders? = nil) {
        self.path = path
        self.door = door
        self.endpoint = endpoint
        self.body = body
        self.trace = trace
    }

    /// A callback through `door` (`capability` is the capability URL's, any other a shared-token path's).
    public static func callback(door: String, endpoint: String? = nil, body: Data, trace: TraceHeaders? = nil) -> DecisionSource {
        DecisionSource(path: door == "capability" ? .capability : .sharedToken, door: door, endpoint: endpoint, body: body, trace: trace)
    }

    public static let expiry = DecisionSource(path: .expiry)

    /// At most this much of a callback body is kept in the timeline.
    public static let excerptLimit = 4096

    public var excerpt: String? { body.map { String(decoding: $0.prefix(Self.excerptLimit), as: UTF8.self) } }
}
