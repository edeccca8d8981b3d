import Foundation

/// Where a forward goes: the name of the contract that built it, stored with the message so that the
/// contract that sends it and reads its answer is found again however much later that is.
public struct ForwardSink: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// A request's own `callback.url` (contract A): also what a forward stored without a sink was.
    public static let callback = ForwardSink(rawValue: "callback")
}

/// One forward a decision owes a receiver.
public struct Forward: Sendable, Equatable {
    /// The name the timeline and the metrics show for the receiver.
    public var name: String
    public var url: String
    public var body: JSONValue

    public init(name: String, url: String, body: JSONValue) {
        self.name = name
        self.url = url
        self.body = body
    }
}

/// What a request carries that decides which contracts receive its decisions.
public struct ForwardTarget: Sendable, Equatable {
    public var callbackURL: String?
    public var approvalRequestId: Int64?
    /// The control plane's own reference for the request (kodex's interaction request id).
    public var controlPlaneRef: String?

    public init(callbackURL: String? = nil, approvalRequestId: Int64? = nil, controlPlaneRef: String? = nil) {
        self.callbackURL = callbackURL
        self.approvalRequestId = approvalRequestId
        self.controlPlaneRef = controlPlaneRef
    }

    public init(_ request: RelayRequest) {
        self.init(callbackURL: request.callbackURL, approvalRequestId: request.approvalRequestId, controlPlaneRef: request.controlPlaneRef)
    }
}

/// A wire contract on the side of decisions going out: which requests it receives, the body it gets,
/// the headers and signature of each attempt, and what its answers mean beyond the relay's answer table.
/// Each contract is one folder and one type (`RelayContracts`); the planner holds the ones configured.
public protocol ForwardContract: Sendable {
    var sink: ForwardSink { get }
    /// True when a request carrying these receives its decisions here (a submit with no receiver is refused).
    func receives(_ target: ForwardTarget) -> Bool
    /// What a request must carry to be received here, for the refusal of a submit with nowhere to go.
    var requirement: String { get }
    /// Why a request this contract receives could never be forwarded (a reference of the wrong form), naming the
    /// submit's field; nil when it can be. Checked at submit, so the request is refused rather than its forward lost.
    func refusal(of target: ForwardTarget) -> (field: String, message: String)?
    /// The forward of `decision` for `request` as message `messageId` (called only when `receives` holds for
    /// it), or nil when the receiver has no word for this decision: then nothing is sent to it.
    func forward(of request: RelayRequest, _ decision: NormalizedDecision, at now: Date, messageId: String) -> Forward?
    /// Headers of each attempt of `message`, added to the relay's own (a signature over the body goes here).
    func headers(for message: Message) -> [String: String]
    /// Standard Webhooks signing secrets of each attempt.
    var signingSecrets: [WebhookSecret] { get }
    /// What the receiver's answer to a delivered forward says about the request (codex-k8s's echo).
    func echo(of sent: Data, answer: DeliveryAnswer) -> ControlPlaneAnswer?
    /// True when this answer means the receiver no longer waits for the decision: final, not a dead letter.
    func abandons(_ answer: DeliveryAnswer) -> Bool
    /// What this receiver's answer means when its own words overrule the relay's answer table (SPEC §4); by
    /// default, what the table said.
    func classify(_ answer: DeliveryAnswer, table verdict: AnswerClass, now: Date) -> AnswerClass
}

extension ForwardContract {
    public func headers(for message: Message) -> [String: String] { [:] }
    public func refusal(of target: ForwardTarget) -> (field: String, message: String)? { nil }
    public func echo(of sent: Data, answer: DeliveryAnswer) -> ControlPlaneAnswer? { nil }
    public func abandons(_ answer: DeliveryAnswer) -> Bool { false }
    public func classify(_ answer: DeliveryAnswer, table verdict: AnswerClass, now: Date) -> AnswerClass { verdict }
}

/// A wire contract on the side of decisions coming in: the shared-token paths it serves and how it reads
/// their bodies into a decision and the request it names, each refusal naming its field.
public protocol CallbackContract: Sendable {
    /// The door's name in timelines, logs and metrics (`contract-a`, `contract-b`).
    var door: String { get }
    /// The paths behind the shared callback token, each with the kind of request it decides (nil: any).
    var paths: [(path: String, kind: RequestKind?)] { get }
    func read(_ body: Data, kind: RequestKind?) throws(DecisionError) -> (NormalizedDecision, RequestLookupKey)
}

/// How a callback names its request, before the store resolves it.
public enum RequestLookupKey: Sendable, Equatable {
    case correlationId(String, kind: RequestKind?)
    case approvalRequestId(Int64)
}

/// What a control plane answered to a forward: the state it reported, and a note when that contradicts
/// the decision sent.
public struct ControlPlaneAnswer: Sendable, Equatable {
    public var state: String
    public var flag: String?

    public init(state: String, flag: String?) {
        self.state = state
        self.flag = flag
    }
}
