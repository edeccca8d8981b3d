import Foundation
import RelayCore

extension StoreEngine {
    public func submit(_ submit: NewRequest) async throws -> SubmitOutcome {
        let keyQuery: StoreQuery? = submit.idempotency.map { .idempotencyAnswer(key: $0.key) }
        let openQuery: StoreQuery? = submit.request.approvalRequestId.map { .openRequest(approvalRequestId: $0) }
        return try await write(try Self.optionalRead(keyQuery, { try $0.answer }) { kept in
            // A key seen before answers at once: the replay reads nothing else.
            if let kept { return .done(SubmitRule.conflict(submit, kept: kept, sameCorrelationId: nil, openWithApprovalRequestId: nil)!) }
            return .read(.requestWithCorrelationId(submit.request.correlationId)) { taken in
                let sameCorrelationId = try taken.request
                // PostgreSQL reads each statement at its own moment: the same key's submit on another instance may have
                // committed between the two reads. The key, read again once its request is seen, tells that replay from a
                // conflict.
                let rereadKey = sameCorrelationId == nil ? nil : keyQuery
                return try Self.optionalRead(rereadKey, { try $0.answer }) { keptMeanwhile in
                    if let keptMeanwhile { return .done(SubmitRule.conflict(submit, kept: keptMeanwhile, sameCorrelationId: nil, openWithApprovalRequestId: nil)!) }
                    return try Self.optionalRead(openQuery, { try $0.request }) { open in
                        if let conflict = SubmitRule.conflict(submit, kept: nil, sameCorrelationId: sameCorrelationId,
                                                              openWithApprovalRequestId: open) {
                            return .done(conflict)
                        }
                        return .finish(SubmitRule.writes(submit), .created(submit.request))
                    }
                }
            }
        })
    }

    public func timeline(idOrCorrelationId: String) async throws -> RequestTimeline? {
        try await read(.timeline(idOrCorrelationId: idOrCorrelationId)) { try $0.timeline }
    }

    public func request(_ lookup: RequestLookup) async throws -> RelayRequest? {
        try await read(.request(lookup, lock: false)) { try $0.request }
    }

    public func capability(tokenHash: String) async throws -> CapabilityHolder? {
        try await read(.capability(tokenHash: tokenHash)) { try $0.capability }
    }

    public func requests(_ query: RequestListQuery) async throws -> RequestPage {
        try await read(.requestPage(query)) { found in
            // One more than the page was read: its presence says that another page follows.
            let items = Array(try found.requests.prefix(query.limit))
            let more = try found.requests.count > query.limit
            return RequestPage(items: items, nextCursor: more ? items.last.map {
                DeadLetterCursor(deadAt: $0.createdAt.timeIntervalSince1970, id: $0.id).encoded
            } : nil)
        }
    }

    public func decide(_ target: RequestLookup, _ decision: NormalizedDecision, source: DecisionSource, planner: ForwardPlanner,
                       now: Date) async throws -> DecisionOutcome {
        // The request is locked for the transaction (SQLite: its single writer), so decisions for one
        // request are serialized whichever instance received them.
        try await write(.read(.request(target, lock: true)) { found in
            guard let request = try found.request else { return .done(.notFound) }
            return Self.decisionStep(decision, on: request, source: source, planner: planner, now: now)
        })
    }

    public func expireDue(now: Date, planner: ForwardPlanner, limit: Int) async throws -> [RelayRequest] {
        try await write(.read(.dueForExpiry(now: now, limit: limit)) { due in
            try Self.expire(try due.requests[...], expired: [], planner: planner, now: now)
        })
    }

    private static func expire(_ due: ArraySlice<RelayRequest>, expired: [RelayRequest], planner: ForwardPlanner,
                               now: Date) throws -> StoreStep<[RelayRequest]> {
        guard let request = due.first else { return .done(expired) }
        return try decisionStep(.deadlineExpiry, on: request, source: .expiry, planner: planner, now: now).then { outcome in
            var expired = expired
            if case .moved(let moved) = outcome { expired.append(moved) }
            return try expire(due.dropFirst(), expired: expired, planner: planner, now: now)
        }
    }

    public func escalateDue(now: Date, deliveries factory: DeliveryFactory, limit: Int) async throws -> [Escalation] {
        try await write(.read(.dueForEscalation(now: now, limit: limit)) { due in
            let requests = try due.requests
            guard !requests.isEmpty else { return .done([]) }
            let ids = Set(requests.flatMap { $0.lifecycle.escalation.flatMap { $0.endpoints.map(\.id) } })
            return .read(.endpointsById(ids.sorted())) { found in
                let endpoints = Dictionary(try found.endpoints.map { ($0.id, $0) }) { first, _ in first }
                var writes: [StoreWrite] = []
                var fired: [Escalation] = []
                for request in requests {
                    let step = EscalationRule.fire(request, endpoints: endpoints, factory: factory, now: now)
                    writes += step.writes
                    fired.append(step.fired)
                }
                if fired.contains(where: { !$0.endpoints.isEmpty }) { writes.append(.notifyDue) }
                return .finish(writes, fired)
            }
        })
    }

    /// A decision on a request the transaction holds: credited to the endpoint its door names (or the only one
    /// the request went to), counted as a vote when the request needs several, applied by `DecisionRule`, the
    /// callback kept in the timeline, and the audit records appended last, so the chain's head is held briefly.
    static func decisionStep(_ decision: NormalizedDecision, on request: RelayRequest, source: DecisionSource, planner: ForwardPlanner,
                         now: Date) -> StoreStep<DecisionOutcome> {
        .read(.deliveries(requestId: request.id)) { found in
            let deliveries = try found.deliveries
            let names = Set(deliveries.map(\.endpointName))
            let callback = source.path == .capability || source.path == .sharedToken
            let endpoint = source.endpoint ?? (callback && names.count == 1 ? names.first : nil)
            var credited = decision
            // A decision without an actor is credited to the endpoint when its door names one, or the request went to only one.
            if credited.actor == nil, let endpoint { credited.actor = "endpoint:\(endpoint)" }
            let decision = credited
            let context = DecisionContext(source: source, endpoint: endpoint, deliveries: deliveries)
            let effect: StoreStep<DecisionEffect> = VoteRule.isVote(decision, on: request, now: now)
                ? .read(.votes(requestId: request.id)) { votes in
                    .done(VoteRule.apply(decision, to: request, prior: try votes.votes, context: context, planner: planner, now: now))
                }
                : .done(DecisionRule.apply(decision, to: request, context: context, planner: planner, now: now))
            return try effect.then { effect in
                var writes = effect.writes
                if let record = CallbackRecord(source, decision: decision, endpoint: endpoint, outcome: effect.outcome, at: now) {
                    writes.append(.insertCallbackEvent(requestId: request.id, record))
                }
                return sealed(writes, audit: effect.audit, effect.outcome, events: planner.events, now: now)
            }
        }
    }

    /// `writes`, then `audit` appended to the chain last, so that its head is held briefly (on PostgreSQL it usually
    /// shares the writes' one statement); when the writes make dead letters, the events they owe come before it.
    static func sealed<Result: Sendable>(_ writes: [StoreWrite], audit: [AuditRecord], _ result: Result, events: OperationalEvents?,
                                         now: Date) -> StoreStep<Result> {
        let append: [StoreWrite] = audit.isEmpty ? [] : [.appendAudit(audit)]
        guard writes.contains(where: \.makesDeadLetters) else { return .finish(writes + append, result) }
        return .write(writes) { answers in
            let notes = answers.flatMap { answer -> [DeadLetterNote] in
                if case .deadLettered(let notes) = answer { return notes }
                return []
            }
            return .finish(EventRule.owed(EventRule.deadLettered(notes, reason: .deadline, events: events, now: now)) + append, result)
        }
    }

    // MARK: Audit trail

    public func auditHead() async throws -> AuditHead {
        try await read(.auditHead) { try $0.auditHead }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await read(.auditEntries(query)) { try $0.auditEntries }
    }

    public func minuteActivity(since: Date) async throws -> MinuteActivity {
        try await read(.minuteActivity(since: since)) { try $0.minuteActivity }
    }

    /// Reads `query` when there is one, else goes on with nil.
    static func optionalRead<Value: Sendable, Result: Sendable>(
        _ query: StoreQuery?, _ extract: @escaping @Sendable (StoreValue) throws -> Value?,
        _ next: @escaping @Sendable (Value?) throws -> StoreStep<Result>
    ) throws -> StoreStep<Result> {
        guard let query else { return try next(nil) }
        return .read(query) { try next(try extract($0)) }
    }
}
