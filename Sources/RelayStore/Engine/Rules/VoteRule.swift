import Foundation
import RelayCore

/// A decision on a request that needs several approvals (SPEC §12): from a door that names its endpoint it is
/// that endpoint's vote, counted by `QuorumRule`; the vote that meets the quorum, or vetoes it, or leaves it
/// out of reach, decides the request through `DecisionRule`. A door that cannot name the endpoint cannot vote.
enum VoteRule {
    /// True when `decision` on `request` is a vote rather than a decision of its own.
    static func isVote(_ decision: NormalizedDecision, on request: RelayRequest, now: Date) -> Bool {
        request.lifecycle.needsVotes && request.state == .requested && now < request.deadline
            && [.approved, .applied, .denied, .failed, .expired].contains(decision.decision)
    }

    static func apply(_ decision: NormalizedDecision, to request: RelayRequest, prior: [Vote], context: DecisionContext,
                      planner: ForwardPlanner, now: Date) -> DecisionEffect {
        let needed = request.lifecycle.minApprovals
        guard let endpoint = context.endpoint else {
            return DecisionEffect(outcome: .voteRefused(request, reason:
                "request \(request.id) needs \(needed) approvals, so each must name its endpoint: answer through the callback URL the delivery carried, not a shared-token path"))
        }
        let vote = Vote(endpoint: endpoint, decision: decision.decision, reason: decision.reason, actor: decision.actor,
                        path: context.source.path, castAt: now)
        let record = AuditRecord(.vote, decision, request: request, source: context.source, endpoint: endpoint, at: now)
        switch QuorumRule.cast(vote, prior: prior, minApprovals: needed, eligible: request.lifecycle.eligibleEndpoints) {
        case .duplicate:
            return DecisionEffect(outcome: .duplicate(request))
        case .conflicting(let first):
            return DecisionEffect(outcome: .voteRefused(request, reason:
                "endpoint \(endpoint) already voted \(first.decision.rawValue) on request \(request.id); its first vote stands"))
        case .counted(let approvals):
            return DecisionEffect(outcome: .voted(request, approvals: approvals, needed: needed),
                                  writes: [.insertVote(requestId: request.id, vote)], audit: [record])
        case .decided(let outcome):
            var answered = Set(prior.map(\.endpoint))
            answered.insert(endpoint)
            var decided = context
            decided.answered = answered
            var effect = DecisionRule.apply(outcome, to: request, context: decided, planner: planner, now: now)
            effect.writes.insert(.insertVote(requestId: request.id, vote), at: 0)
            effect.audit.insert(record, at: 0)
            return effect
        }
    }
}
