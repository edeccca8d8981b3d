import Foundation

/// One endpoint's answer to a request that needs several approvals.
public struct Vote: Sendable, Equatable {
    public var endpoint: String
    public var decision: Decision
    public var reason: String?
    public var actor: String?
    public var path: DecisionPath
    public var castAt: Date

    public init(endpoint: String, decision: Decision, reason: String? = nil, actor: String? = nil, path: DecisionPath, castAt: Date) {
        self.endpoint = endpoint
        self.decision = decision
        self.reason = reason
        self.actor = actor
        self.path = path
        self.castAt = castAt
    }

    /// Approving: `approved`, or `applied` (approved and already done).
    public var approves: Bool { decision == .approved || decision == .applied }
}

/// The quorum of SPEC §12, the one place that counts votes: a request is approved when `min_approvals`
/// distinct endpoints approved it; any deny vetoes it; a second vote from the same endpoint is a duplicate.
/// An endpoint's error or timeout is an abstention: when the endpoints left can no longer make up the
/// quorum, the request fails now rather than at its deadline.
public enum QuorumRule {
    public enum Outcome: Sendable, Equatable {
        /// The endpoint already voted so: nothing changes.
        case duplicate(Vote)
        /// The endpoint already voted otherwise: its first vote stands.
        case conflicting(first: Vote)
        /// Counted; the request still waits for more approvals.
        case counted(approvals: Int)
        /// The vote decides the request.
        case decided(NormalizedDecision)
    }

    public static func cast(_ vote: Vote, prior: [Vote], minApprovals: Int, eligible: Int) -> Outcome {
        if let earlier = prior.first(where: { $0.endpoint == vote.endpoint }) {
            return earlier.decision == vote.decision ? .duplicate(earlier) : .conflicting(first: earlier)
        }
        let votes = prior + [vote]
        if vote.decision == .denied {
            let because = vote.reason.map { ": \($0)" } ?? ""
            return .decided(NormalizedDecision(decision: .denied, reason: "denied by \(vote.endpoint)\(because)",
                                               actor: vote.actor ?? "endpoint:\(vote.endpoint)"))
        }
        let approvers = votes.filter(\.approves).map(\.endpoint)
        if approvers.count >= minApprovals {
            return .decided(NormalizedDecision(decision: .approved,
                                               reason: "approved by \(list(approvers)) (\(approvers.count) of \(minApprovals) required)",
                                               actor: "endpoints:" + approvers.joined(separator: ",")))
        }
        let left = max(0, eligible - votes.count)
        if approvers.count + left < minApprovals {
            let because = vote.reason.map { "; \(vote.endpoint) said: \($0)" } ?? ""
            return .decided(NormalizedDecision(
                decision: .failed,
                reason: "the quorum can no longer be met: \(approvers.count) of \(minApprovals) approvals, \(left) endpoint(s) left to answer\(because)",
                actor: vote.actor ?? "endpoint:\(vote.endpoint)"))
        }
        return .counted(approvals: approvers.count)
    }

    static func list(_ names: [String]) -> String {
        names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}
