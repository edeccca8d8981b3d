import Foundation
import RelayCore

/// The one path every decision takes — a callback, a synchronous answer, a stuck adapter's failure, the
/// deadline: the transition table, then the request's new state and its forwards, as writes.
enum DecisionRule {
    static func apply(_ decision: NormalizedDecision, to request: RelayRequest, planner: ForwardPlanner,
                      now: Date) -> (outcome: DecisionOutcome, writes: [StoreWrite]) {
        // A decision checks the deadline itself (SPEC §11): the request expires now and the decision is refused.
        if RequestTransitions.arrivesPastDeadline(decision.decision, state: request.state, deadline: request.deadline, now: now) {
            let expiry = apply(.deadlineExpiry, to: request, planner: planner, now: now)
            if case .moved(let expired) = expiry.outcome { return (.refused(expired), expiry.writes) }
        }
        switch RequestTransitions.apply(decision.decision, to: request.state) {
        case .duplicate:
            return (.duplicate(request), [])
        case .refused:
            return (.refused(request), [])
        case .moved(let state):
            let moved = request.moved(to: state, by: decision, at: now)
            let forwards = planner.messages(for: moved, decision: decision, now: now)
            var writes: [StoreWrite] = [.recordDecision(requestId: request.id, state: state, decision: decision, at: now)]
            writes += forwards.map(StoreWrite.insertMessage)
            if state == .expired { writes.append(.expireDeliveries(requestId: request.id, at: now)) }
            if !forwards.isEmpty { writes.append(.notifyDue) }
            return (.moved(moved), writes)
        }
    }
}
