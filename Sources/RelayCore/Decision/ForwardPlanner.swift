import Foundation

/// Builds the forward messages a decision owes: one for each configured contract that receives the
/// request (its own callback URL, the control plane), in the order they are registered.
public struct ForwardPlanner: Sendable {
    public var contracts: [any ForwardContract]
    /// How long a forward keeps being retried after the decision.
    public var forwardWindow: TimeInterval
    /// Where operational events go (`ops.url`), when configured.
    public var events: OperationalEvents?

    public init(contracts: [any ForwardContract], forwardWindow: TimeInterval = 86400, events: OperationalEvents? = nil) {
        self.contracts = contracts
        self.forwardWindow = forwardWindow
        self.events = events
    }

    /// True when a request with these properties has somewhere for its decision to go.
    public func hasSink(_ target: ForwardTarget) -> Bool {
        contracts.contains { $0.receives(target) }
    }

    /// Why a request with these properties would have a forward that can never be delivered, naming its field.
    public func refusal(of target: ForwardTarget) -> (field: String, message: String)? {
        contracts.lazy.filter { $0.receives(target) }.compactMap { $0.refusal(of: target) }.first
    }

    /// The contract that built forwards to `sink` (a forward stored without one went to its callback URL).
    public func contract(for sink: ForwardSink?) -> (any ForwardContract)? {
        let sink = sink ?? .callback
        return contracts.first { $0.sink == sink }
    }

    /// The forward messages of `decision` for `request`, due at `now`. A cancel by whoever submitted the
    /// request goes only to the request's own callback URL: the control plane that asked knows already (SPEC §12).
    public func messages(for request: RelayRequest, decision: NormalizedDecision, source: DecisionPath? = nil, now: Date,
                         trace: TraceHeaders? = nil) -> [Message] {
        let target = ForwardTarget(request)
        let receivers = contracts.filter { $0.receives(target) && (source != .submitter || $0.sink == .callback) }
        return receivers.compactMap { contract in
            let id = Identifier.make("msg", at: now)
            guard let forward = contract.forward(of: request, decision, at: now, messageId: id) else { return nil }
            return Message(
                id: id, requestId: request.id, endpointId: nil, endpointName: forward.name,
                purpose: .forward, url: forward.url, body: forward.body.encoded(), state: .pending, attemptCount: 0, dueAt: now,
                deadline: now.addingTimeInterval(forwardWindow), createdAt: now, updatedAt: now, sink: contract.sink,
                trace: trace ?? request.trace
            )
        }
    }
}

/// ISO 8601 in UTC with milliseconds, the relay's one wire format for times.
public enum ISO8601 {
    public static func string(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}

