import Foundation

/// What a submit asked of a request's life beyond one decision (SPEC §12): how many approvals decide it and
/// whom to ask next when nobody decides in time. Stored whole with the request; a request that asked for
/// neither stores nothing, and reads back as `standard`.
public struct RequestLifecycle: Sendable, Equatable, Codable {
    /// Distinct endpoints that must approve; any deny vetoes. 1: the first decision decides, as without a policy.
    public var minApprovals: Int
    /// Further endpoints to deliver to when no decision has come in time, in order.
    public var escalation: [EscalationStep]
    /// How many escalation steps have fired.
    public var escalated: Int
    /// Distinct endpoints the request goes to, with every escalation step's: a quorum that the rest can no
    /// longer reach fails the request instead of waiting for its deadline.
    public var eligibleEndpoints: Int

    public init(minApprovals: Int = 1, escalation: [EscalationStep] = [], escalated: Int = 0, eligibleEndpoints: Int = 1) {
        self.minApprovals = minApprovals
        self.escalation = escalation
        self.escalated = escalated
        self.eligibleEndpoints = eligibleEndpoints
    }

    public static let standard = RequestLifecycle()

    /// True when the request asked for nothing beyond one decision.
    public var isStandard: Bool { minApprovals <= 1 && escalation.isEmpty }

    /// True when votes decide the request rather than the first decision.
    public var needsVotes: Bool { minApprovals > 1 }

    /// When the next escalation step fires for a request created at `created`; nil when none is left.
    public func nextEscalation(createdAt created: Date) -> Date? {
        escalated < escalation.count ? created.addingTimeInterval(TimeInterval(escalation[escalated].afterSec)) : nil
    }

    enum CodingKeys: String, CodingKey {
        case escalation, escalated
        case minApprovals = "min_approvals"
        case eligibleEndpoints = "eligible_endpoints"
    }
}

/// One escalation step as stored: when, and the endpoints it adds (by id, with the name they had at submit).
public struct EscalationStep: Sendable, Equatable, Codable {
    public var afterSec: Int
    public var endpoints: [EndpointRef]

    public init(afterSec: Int, endpoints: [EndpointRef]) {
        self.afterSec = afterSec
        self.endpoints = endpoints
    }

    enum CodingKeys: String, CodingKey {
        case endpoints
        case afterSec = "after_sec"
    }
}

/// An endpoint as a request remembers it.
public struct EndpointRef: Sendable, Equatable, Codable {
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// How a cancel reads to a receiver that has no word for it (contract A's `error`, contract B's `failed`).
public enum Cancellation {
    public static func reason(_ given: String?) -> String {
        guard let given, !given.isEmpty else { return "cancelled" }
        return "cancelled: \(given)"
    }
}
