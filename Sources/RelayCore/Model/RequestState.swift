import Foundation

/// Where a request is in its life (SPEC §2).
public enum RequestState: String, Sendable, Codable, CaseIterable {
    case requested
    case approved
    case applied
    case denied
    case expired
    case failed
    /// Withdrawn by whoever asked, or by an admin, before a decision (SPEC §12).
    case cancelled

    /// True when no further transition is possible.
    public var isTerminal: Bool {
        RequestTransitions.allowed[self, default: []].isEmpty
    }

    /// The states a request can still leave, as an SQL list: `approval_request_id` is unique among these.
    /// True once a decision (or a cancel, or the deadline) has moved the request: `approved` is resolved, though
    /// not terminal. From here the request's unsent deliveries are superseded and a waiter is answered (SPEC §12).
    public var isResolved: Bool { self != .requested }

    public static let openStatesSQL = "(" + allCases.filter { !$0.isTerminal }.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
}

/// The one transition table of SPEC §2. Nothing else decides which state may follow which.
public enum RequestTransitions {
    /// For each state, the states a decision may move it to.
    public static let allowed: [RequestState: Set<RequestState>] = [
        .requested: [.approved, .applied, .denied, .expired, .failed, .cancelled],
        .approved: [.applied, .failed],
        .applied: [],
        .denied: [],
        .expired: [],
        .failed: [],
        .cancelled: [],
    ]

    /// What a decision does to a request in `state`.
    public static func apply(_ decision: Decision, to state: RequestState) -> TransitionResult {
        let target = RequestState(decision)
        if target == state { return .duplicate }
        if allowed[state, default: []].contains(target) { return .moved(to: target) }
        return .refused(current: state)
    }
}

extension RequestTransitions {
    /// A decision for a request still waiting for one, after its deadline: the request has expired whether or
    /// not the expiry sweep has run, so the decision is refused and the expiry applied in its place (SPEC §11).
    public static func arrivesPastDeadline(_ decision: Decision, state: RequestState, deadline: Date, now: Date) -> Bool {
        state == .requested && now >= deadline && decision != .expired
    }
}

/// The answer of the transition table.
public enum TransitionResult: Sendable, Equatable {
    /// A new transition: the request moves and the decision is forwarded.
    case moved(to: RequestState)
    /// The same decision again: success, nothing forwarded.
    case duplicate
    /// The state machine refuses it; the request stays in `current`.
    case refused(current: RequestState)
}

extension RequestState {
    /// The state a decision leads to.
    public init(_ decision: Decision) {
        switch decision {
        case .approved: self = .approved
        case .denied: self = .denied
        case .expired: self = .expired
        case .failed: self = .failed
        case .applied: self = .applied
        case .cancelled: self = .cancelled
        }
    }
}

extension Decision {
    /// The decision that leads to `state`; nil for `requested`, which no decision leads to.
    public init?(_ state: RequestState) {
        self.init(rawValue: state.rawValue)
    }
}
