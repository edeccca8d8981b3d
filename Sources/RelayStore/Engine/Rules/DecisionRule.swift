import Foundation
import RelayCore

/// What a decision knows beside the request: where it came from, who decided (when the door tells), the
/// request's deliveries, and the endpoints that answered it (their UI needs no retraction).
struct DecisionContext: Sendable {
    var source: DecisionSource
    var endpoint: String?
    var deliveries: [DeliveryState]
    var answered: Set<String> = []
}

/// What a decision changes: the request's outcome, the writes of one transaction and its audit records.
struct DecisionEffect: Sendable {
    var outcome: DecisionOutcome
    var writes: [StoreWrite] = []
    var audit: [AuditRecord] = []
}

/// The one path every decision takes — a callback, a vote that meets or breaks a quorum, a synchronous answer,
/// a stuck adapter's failure, a cancel, the deadline: the transition table, then the request's new state, its
/// forwards, what becomes of its other deliveries, the notices to endpoints that were shown it, and its audit record.
enum DecisionRule {
    static func apply(_ decision: NormalizedDecision, to request: RelayRequest, context: DecisionContext, planner: ForwardPlanner,
                      now: Date) -> DecisionEffect {
        // A decision checks the deadline itself (SPEC §11): the request expires now and the decision is refused.
        if RequestTransitions.arrivesPastDeadline(decision.decision, state: request.state, deadline: request.deadline, now: now) {
            var expiry = context
            expiry.source = .expiry
            expiry.endpoint = nil
            var effect = apply(.deadlineExpiry, to: request, context: expiry, planner: planner, now: now)
            if case .moved(let expired) = effect.outcome { effect.outcome = .refused(expired) }
            return effect
        }
        switch RequestTransitions.apply(decision.decision, to: request.state) {
        case .duplicate:
            return DecisionEffect(outcome: .duplicate(request))
        case .refused:
            return DecisionEffect(outcome: .refused(request))
        case .moved(let state):
            let moved = request.moved(to: state, by: decision, at: now)
            let forwards = planner.messages(for: moved, decision: decision, source: context.source.path, now: now, trace: context.source.trace)
            var writes: [StoreWrite] = [.recordDecision(requestId: request.id, state: state, decision: decision, at: now)]
            // What becomes of the deliveries comes before the new messages, so that on PostgreSQL all of it
            // can share one statement (PostgresDriver+Batches: an update joins only a batch that has not touched its table).
            if state == .expired {
                // SPEC §7: a delivery that did not get through before the deadline failed; it is a dead letter (its event
                // is owed from the write's answer, which names the deliveries it took: `StoreEngine.sealed`).
                writes.append(.expireDeliveries(requestId: request.id, at: now))
                writes += EventRule.expired(moved, events: planner.events, now: now)
            } else if context.deliveries.contains(where: { $0.state == .pending }) {
                writes.append(.supersedeDeliveries(requestId: request.id, at: now))
            }
            writes += forwards.map(StoreWrite.insertMessage)
            let notices = self.notices(for: moved, context: context, window: planner.forwardWindow, now: now)
            writes += notices.map(StoreWrite.insertMessage)
            writes.append(.notifyDecided(requestId: request.id))
            if !forwards.isEmpty || !notices.isEmpty || (state == .expired && planner.events != nil) { writes.append(.notifyDue) }
            return DecisionEffect(outcome: .moved(moved), writes: writes,
                                  audit: [AuditRecord(kind(of: decision, source: context.source), decision, request: request,
                                                      source: context.source, endpoint: context.endpoint, at: now)])
        }
    }

    static func kind(of decision: NormalizedDecision, source: DecisionSource) -> AuditRecord.Kind {
        if source.path == .expiry { return .expiry }
        return decision.decision == .cancelled ? .cancel : .decision
    }

    /// A `request.resolved` notice for each endpoint with a `resolution_url` that was shown the request and
    /// neither decided it nor answered it (SPEC §12), signed with that endpoint's secret when sent.
    static func notices(for request: RelayRequest, context: DecisionContext, window: TimeInterval, now: Date) -> [Message] {
        var noticed: Set<String> = []
        return context.deliveries.compactMap { delivery in
            guard let url = delivery.resolutionURL, let endpointId = delivery.endpointId, delivery.mayHaveReached,
                  delivery.endpointName != context.endpoint, !context.answered.contains(delivery.endpointName),
                  noticed.insert(endpointId).inserted else { return nil }
            return Message(
                id: Identifier.make("msg", at: now), requestId: request.id, endpointId: endpointId, endpointName: delivery.endpointName,
                purpose: .notice, url: url, body: ResolutionNotice.body(request, decidedBy: context.endpoint, at: now).encoded(),
                state: .pending, attemptCount: 0, dueAt: now, deadline: now.addingTimeInterval(window), createdAt: now, updatedAt: now,
                trace: context.source.trace ?? request.trace
            )
        }
    }
}
