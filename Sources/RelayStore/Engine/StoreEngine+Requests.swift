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
                try Self.optionalRead(openQuery, { try $0.request }) { open in
                    if let conflict = SubmitRule.conflict(submit, kept: nil, sameCorrelationId: try taken.request,
                                                          openWithApprovalRequestId: open) {
                        return .done(conflict)
                    }
                    return .finish(SubmitRule.writes(submit), .created(submit.request))
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

    public func decide(_ target: RequestLookup, _ decision: NormalizedDecision, planner: ForwardPlanner, now: Date,
                       callback: IncomingCallback?) async throws -> DecisionOutcome {
        // The request is locked for the transaction (SQLite: its single writer), so decisions for one
        // request are serialized whichever instance received them.
        try await write(.read(.request(target, lock: true)) { found in
            guard let request = try found.request else { return .done(.notFound) }
            let wantsEndpoint = decision.actor == nil || callback != nil
            return try Self.optionalRead(wantsEndpoint ? .deliveryEndpoints(requestId: request.id) : nil, { try $0.names }) { names in
                let endpoint = names.flatMap { $0.count == 1 ? $0[0] : nil }
                var decision = decision
                // A decision without an actor is credited to the endpoint when the request went to only one.
                if decision.actor == nil, let endpoint { decision.actor = "endpoint:\(endpoint)" }
                var (outcome, writes) = DecisionRule.apply(decision, to: request, planner: planner, now: now)
                if let callback, let record = CallbackRecord(callback, decision: decision, endpoint: endpoint, outcome: outcome, at: now) {
                    writes.append(.insertCallbackEvent(requestId: request.id, record))
                }
                return .finish(writes, outcome)
            }
        })
    }

    public func expireDue(now: Date, planner: ForwardPlanner, limit: Int) async throws -> [RelayRequest] {
        try await write(.read(.dueForExpiry(now: now, limit: limit)) { due in
            var writes: [StoreWrite] = []
            var expired: [RelayRequest] = []
            for request in try due.requests {
                let (outcome, changes) = DecisionRule.apply(.deadlineExpiry, to: request, planner: planner, now: now)
                if case .moved(let moved) = outcome { expired.append(moved) }
                writes += changes
            }
            return .finish(writes, expired)
        })
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
