import Foundation
import RelayCore
import Synchronization

extension StoreEngine {
    public func claimDue(now: Date, owner: String, limit: Int, lease: LeaseTerms) async throws -> [ClaimedMessage] {
        guard limit > 0 else { return [] }
        let probeInterval = circuit.probeInterval
        return try await write(.read(.endpointLoads(now: now)) { loads in
            // Shuffled so that no endpoint is always served first when the limit is short.
            Self.claimDeliveries((try loads.loads).shuffled()[...], claimed: [], now: now, owner: owner, limit: limit,
                                 lease: lease, probeInterval: probeInterval)
        })
    }

    /// Claims from each endpoint in turn what its concurrency, its circuit and the remaining limit allow, then the forwards.
    private static func claimDeliveries(_ loads: ArraySlice<EndpointLoad>, claimed: [ClaimedMessage], now: Date, owner: String,
                                        limit: Int, lease: LeaseTerms, probeInterval: TimeInterval) -> StoreStep<[ClaimedMessage]> {
        guard claimed.count < limit, let load = loads.first else {
            return claimed.count < limit ? claimForwards(claimed: claimed, now: now, owner: owner, limit: limit, lease: lease) : .done(claimed)
        }
        let rest = loads.dropFirst()
        let (take, probe) = ClaimRule.take(from: load, room: limit - claimed.count, now: now)
        guard take > 0 else {
            return claimDeliveries(rest, claimed: claimed, now: now, owner: owner, limit: limit, lease: lease, probeInterval: probeInterval)
        }
        var writes: [StoreWrite] = probe ? [.setNextProbe(endpointId: load.endpoint.id, at: now.addingTimeInterval(probeInterval))] : []
        writes.append(.claimDeliveries(endpoint: load.endpoint, owner: owner, now: now,
                                       leaseUntil: now.addingTimeInterval(lease.duration(for: load.endpoint)), take: take))
        return .write(writes) { answers in
            claimDeliveries(rest, claimed: claimed + (try answers.last!.claimed), now: now, owner: owner, limit: limit, lease: lease,
                            probeInterval: probeInterval)
        }
    }

    /// Forwards: the control plane's pool, then the callback URLs' pool, each URL within its own limit.
    private static func claimForwards(claimed: [ClaimedMessage], now: Date, owner: String, limit: Int,
                                      lease: LeaseTerms) -> StoreStep<[ClaimedMessage]> {
        let leaseUntil = now.addingTimeInterval(lease.duration(for: nil))
        return .read(.forwardClaimPermit) { permit in
            guard try permit.flag else { return .done(claimed) }
            return .read(.forwardLoad(now: now)) { reading in
                let load = try reading.forwardLoad
                let take = ClaimRule.controlPlaneTake(load, room: limit - claimed.count, lease: lease)
                // What follows the control plane's share: the callback URLs' pool.
                let controlPlane: @Sendable ([ClaimedMessage]) throws -> StoreStep<[ClaimedMessage]> = { forwards in
                    let claimed = claimed + forwards
                    // A full callback pool reads no candidates (on PostgreSQL they would be locked for nothing).
                    guard ClaimRule.callbackRoom(load, room: limit - claimed.count, lease: lease) > 0 else { return .done(claimed) }
                    return .read(.callbackForwardCandidates(now: now, limit: ClaimRule.candidateWindow)) { candidates in
                        let picked = ClaimRule.callbackForwards(try candidates.candidates, load: load, room: limit - claimed.count, lease: lease)
                        guard !picked.isEmpty else { return .done(claimed) }
                        return .write([.claimMessages(ids: picked, owner: owner, now: now, leaseUntil: leaseUntil)]) { answers in
                            .done(claimed + (try answers[0].claimed))
                        }
                    }
                }
                guard take > 0 else { return try controlPlane([]) }
                return .write([.claimControlPlaneForwards(owner: owner, now: now, leaseUntil: leaseUntil, take: take)]) { answers in
                    try controlPlane(try answers[0].claimed)
                }
            }
        }
    }

    public func complete(_ completion: AttemptCompletion, planner: ForwardPlanner) async throws -> Bool {
        let record = CompletedMessage(completion)
        let now = Date(timeIntervalSince1970: record.now)
        let circuit = self.circuit
        // The fencing check first: only the holder of the current lease token records a result.
        return try await write(.write([.completeMessage(id: completion.messageId, leaseToken: completion.leaseToken, record,
                                                        error: completion.attempt.error)]) { answers in
            guard let fenced = try answers[0].fenced else { return .done(false) }
            var writes: [StoreWrite] = [.insertAttempt(completion.attempt)]
            if let answer = completion.controlPlaneAnswer {
                writes.append(.recordControlPlaneAnswer(requestId: fenced.requestId, answer, at: now))
            }
            if case .dead(let reason) = completion.disposition {
                let note = DeadLetterNote(messageId: completion.messageId, requestId: fenced.requestId, endpoint: fenced.endpointName,
                                          purpose: fenced.purpose, attempts: completion.attempt.number, lastError: completion.attempt.error)
                writes += EventRule.owed(EventRule.deadLettered(note, reason: reason, events: planner.events, now: now))
            }
            // The circuit moves from what the fenced update returned, in the next statement, before anything that may wait on a lock.
            writes += Self.moveCircuit(completion, fenced: fenced, circuit: circuit, events: planner.events, now: now)
            return .write(writes) { _ in
                try Self.supersedeIfResolved(completion, fenced: fenced, now: now) {
                    try Self.applyAnswerDecisions(completion, fenced: fenced, planner: planner, now: now) { .done(true) }
                }
            }
        })
    }

    /// A delivery that failed and is due again while its request was resolved meanwhile (it was in flight when the
    /// decision superseded the others) is superseded now rather than sent to a question nobody waits for.
    private static func supersedeIfResolved(_ completion: AttemptCompletion, fenced: FencedMessage, now: Date,
                                            then next: @escaping @Sendable () throws -> StoreStep<Bool>) throws -> StoreStep<Bool> {
        guard fenced.purpose == .delivery, case .retry = completion.disposition else { return try next() }
        return .read(.request(.id(fenced.requestId), lock: true)) { found in
            guard let request = try found.request, request.state.isResolved, request.state != .expired else { return try next() }
            return .write([.supersedeDeliveries(requestId: request.id, at: now)], then: next)
        }
    }

    /// A synchronous adapter's decision, then a stuck adapter's failure when no other delivery of the request
    /// can still succeed (SPEC §16: the caller learns now, not at the deadline), each through the decision path.
    /// On a request that needs several approvals each is that endpoint's vote (SPEC §12).
    private static func applyAnswerDecisions(_ completion: AttemptCompletion, fenced: FencedMessage, planner: ForwardPlanner, now: Date,
                                             then next: @escaping @Sendable () throws -> StoreStep<Bool>) throws -> StoreStep<Bool> {
        let source = DecisionSource(path: .synchronousAnswer, endpoint: fenced.endpointName, trace: completion.trace)
        let failed: @Sendable () throws -> StoreStep<Bool> = {
            guard let failure = completion.requestFailure else { return try next() }
            return .read(.request(.id(fenced.requestId), lock: true)) { found in
                guard let request = try found.request else { return try next() }
                let fail: @Sendable () throws -> StoreStep<Bool> = {
                    try decisionStep(failure, on: request, source: source, planner: planner, now: now).then { _ in try next() }
                }
                if request.lifecycle.needsVotes { return try fail() }
                return .read(.liveDeliveries(requestId: fenced.requestId, excluding: completion.messageId)) { live in
                    try live.count == 0 ? try fail() : try next()
                }
            }
        }
        guard let verdict = completion.decision else { return try failed() }
        return .read(.request(.id(fenced.requestId), lock: true)) { found in
            guard let request = try found.request else { return try failed() }
            return try decisionStep(verdict, on: request, source: source, planner: planner, now: now).then { _ in try failed() }
        }
    }

    /// The endpoint's circuit after a delivery's attempt, and its disabling after a 410. A notice to an endpoint's
    /// `resolution_url` moves neither: it is not the endpoint's delivery address.
    private static func moveCircuit(_ completion: AttemptCompletion, fenced: FencedMessage, circuit: CircuitBreaker,
                                    events: OperationalEvents?, now: Date) -> [StoreWrite] {
        guard let endpointId = fenced.endpointId, fenced.purpose == .delivery else { return [] }
        let disable: [StoreWrite] = completion.disableEndpointReason.map { reason in
            [.disableEndpoint(id: endpointId, reason: reason, at: now)]
                + EventRule.owed(EventRule.endpoint(.endpointDisabled, fenced, detail: ["reason": .string(reason)], events: events, now: now))
        } ?? []
        var writes: [StoreWrite] = []
        if let stored = fenced.circuit,
           let changed = circuit.after(attemptSucceeded: completion.attempt.outcome == .delivered,
                                       previousFailures: stored.consecutiveFailures, nextProbeAt: stored.nextProbeAt, now: now) {
            writes.append(.setCircuit(endpointId: endpointId, consecutiveFailures: changed.consecutiveFailures,
                                      nextProbeAt: changed.nextProbeAt))
            switch (stored.nextProbeAt, changed.nextProbeAt) {
            case (nil, let probe?):
                writes += EventRule.owed(EventRule.endpoint(.circuitOpened, fenced, detail: [
                    "consecutive_failures": .integer(Int64(changed.consecutiveFailures)), "next_probe_at": .string(ISO8601.string(probe)),
                    "last_error": .optional(completion.attempt.error),
                ], events: events, now: now))
            case (.some, nil):
                writes += EventRule.owed(EventRule.endpoint(.circuitClosed, fenced, detail: [:], events: events, now: now))
            default:
                break
            }
        }
        return writes + disable
    }

    public func reclaimLeases(owner: String, now: Date, instanceTimeout: TimeInterval) async throws -> Int {
        let reclaim: StoreWrite
        if driver.ownsDatabaseAlone {
            // Only the process holding the database dispatches: after the first call there is nobody else's lease to
            // find, and no other instance reads a heartbeat, so the later calls write nothing (no fsync every few seconds).
            guard leftoversReclaimed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return 0 }
            reclaim = .reclaimAllBut(owner: owner, now: now)
        } else {
            reclaim = .reclaimFromStaleInstances(owner: owner, now: now, staleBefore: now.addingTimeInterval(-instanceTimeout))
        }
        return try await write(.write([.heartbeat(owner: owner, now: now), reclaim]) { answers in
            let reclaimed = try answers[1].count
            return reclaimed > 0 ? .finish([.notifyDue], reclaimed) : .done(0)
        })
    }

    public func releaseLeases(owner: String, now: Date) async throws -> Int {
        try await write(.write([.releaseLeases(owner: owner, now: now)]) { answers in
            let released = try answers[0].count
            return released > 0 ? .finish([.notifyDue], released) : .done(0)
        })
    }

    public func deadLetterExpired(now: Date, planner: ForwardPlanner) async throws -> Int {
        try await write(.write([.deadLetterPastDeadline(now: now)]) { answers in
            let notes = try answers[0].deadLettered
            return .finish(EventRule.owed(EventRule.deadLettered(notes, reason: .deadline, events: planner.events, now: now)), notes.count)
        })
    }

    public func nextDueAt() async throws -> Date? {
        try await read(.nextDueAt) { try $0.time }
    }
}
