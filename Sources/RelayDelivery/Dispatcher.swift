import Foundation
import Logging
import RelayCore
import RelayStore
import ServiceLifecycle
import Synchronization
import Tracing

/// Claims due messages in batches and delivers them concurrently, within a global limit and each
/// endpoint's own limit (enforced by the claim). Never holds a lock or transaction across an HTTP call:
/// claim (short transaction, lease) → deliver → record.
public final class Dispatcher: Service, Sendable {
    let store: any RelayStore
    let deliverer: HTTPDeliverer
    let clock: any RelayClock
    let random: any RandomSource
    let options: DispatcherOptions
    let routing: DeliveryRouting
    let wake: WakeSignal
    let metrics: RelayMetrics
    let logger: Logger
    let tracing: RelayTracing
    private let inFlight = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)

    public init(store: any RelayStore, deliverer: HTTPDeliverer, clock: any RelayClock = SystemClock(),
                random: any RandomSource = SystemRandom(), options: DispatcherOptions = DispatcherOptions(),
                routing: DeliveryRouting, wake: WakeSignal, metrics: RelayMetrics = .disabled,
                logger: Logger = Logger(label: "relay.dispatcher"), tracing: RelayTracing = .off) {
        self.tracing = tracing
        self.store = store
        self.deliverer = deliverer
        self.clock = clock
        self.random = random
        self.options = options
        self.routing = routing
        self.wake = wake
        self.metrics = metrics
        self.logger = logger
    }

    /// Runs until graceful shutdown: then stops claiming, lets in-flight deliveries finish within the
    /// grace period, and returns the rest of its leases to the queue.
    public func run() async throws {
        // Another instance's commits (PostgreSQL NOTIFY) wake this one as its own submits do.
        let signals = store.dueSignals()
        let listener = Task { [wake] in
            for await _ in signals { wake.signal() }
        }
        defer { listener.cancel() }
        // Before the first claim: what a dead process or instance left in flight goes back to the queue now,
        // not when its lease would have run out (SPEC §11). Then the heartbeat keeps this instance's own.
        await reclaimLeases()
        let heartbeat = Task { [options] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int64(options.instanceTimeout * 1000 / 3)))
                if Task.isCancelled { return }
                await self.reclaimLeases()
            }
        }
        defer { heartbeat.cancel() }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                await claimLoop(group: &group)
                let finished = await waitForInFlight(upTo: options.shutdownGrace)
                if !finished { group.cancelAll() }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.wake.signal()
        }
        do {
            let released = try await store.releaseLeases(owner: options.owner, now: clock.now())
            logger.info("dispatcher stopped", metadata: ["released_leases": "\(released)"])
        } catch {
            logger.error("could not release leases; they expire on their own", metadata: ["error": "\(error)"])
        }
    }

    private func reclaimLeases() async {
        do {
            let reclaimed = try await store.reclaimLeases(owner: options.owner, now: clock.now(), instanceTimeout: options.instanceTimeout)
            if reclaimed > 0 {
                logger.notice("returned the leases of a stopped process or dead instance to the queue", metadata: ["count": "\(reclaimed)"])
                wake.signal()
            }
        } catch {
            logger.error("heartbeat failed; retrying", metadata: ["error": "\(error)"])
        }
    }

    private func claimLoop(group: inout DiscardingTaskGroup) async {
        var lastExpirySweep = Date.distantPast
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            let now = clock.now()
            if now.timeIntervalSince(lastExpirySweep) >= 1 {
                lastExpirySweep = now
                await sweepExpired(now: now)
            }
            let room = options.globalConcurrency - inFlight.load(ordering: .relaxed)
            var claimed: [ClaimedMessage] = []
            if room > 0 {
                do {
                    claimed = try await store.claimDue(
                        now: now, owner: options.owner, limit: min(room, options.claimBatch),
                        lease: LeaseTerms(defaultTimeout: options.retry.attemptTimeout, margin: options.leaseMargin,
                                          forwardConcurrency: options.forwardConcurrency,
                                          callbackURLConcurrency: options.callbackURLConcurrency)
                    )
                } catch {
                    logger.error("claim failed; retrying after the poll interval", metadata: ["error": "\(error)"])
                }
            }
            for message in claimed {
                inFlight.add(1, ordering: .relaxed)
                group.addTask {
                    await self.deliver(message)
                    self.inFlight.subtract(1, ordering: .relaxed)
                    self.wake.signal()
                }
            }
            // A full batch means more may be due right now; otherwise sleep until woken or polled.
            if claimed.count < options.claimBatch || room <= claimed.count {
                await wake.wait(upTo: options.pollInterval)
            }
        }
    }

    /// The timers of the outbox, once a second: deadlines that passed, escalation steps that came due, and
    /// messages whose own deadline passed before delivery.
    private func sweepExpired(now: Date) async {
        do {
            let expired = try await store.expireDue(now: now, planner: routing.planner, limit: 500)
            for request in expired {
                logger.info("request expired", metadata: ["request_id": "\(request.id)", "correlation_id": "\(request.correlationId)"])
            }
            if !expired.isEmpty { wake.signal() }
        } catch {
            logger.error("expiry sweep failed", metadata: ["error": "\(error)"])
        }
        do {
            let escalations = try await store.escalateDue(now: now, deliveries: routing.deliveries, limit: 500)
            for escalation in escalations {
                logger.info("no decision in time: request escalated", metadata: [
                    "request_id": "\(escalation.request.id)", "correlation_id": "\(escalation.request.correlationId)",
                    "endpoints": "\(escalation.endpoints.joined(separator: ","))",
                ])
            }
            if escalations.contains(where: { !$0.endpoints.isEmpty }) { wake.signal() }
        } catch {
            logger.error("escalation sweep failed", metadata: ["error": "\(error)"])
        }
        do {
            let expired = try await store.deadLetterExpired(now: now, planner: routing.planner)
            if expired > 0 { logger.info("dead-lettered messages past their deadline", metadata: ["count": "\(expired)"]) }
        } catch {
            logger.error("deadline sweep failed", metadata: ["error": "\(error)"])
        }
    }

    private func waitForInFlight(upTo grace: Duration) async -> Bool {
        let deadline = ContinuousClock.now + grace
        while inFlight.load(ordering: .relaxed) > 0 {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// One attempt of one claimed message, recorded with its next step: a client span, child of the span the message
    /// was made in, whose context the receiver gets as `traceparent` (SPEC §14).
    func deliver(_ claimed: ClaimedMessage) async {
        let message = claimed.message
        await tracing.span(message.purpose.rawValue, parent: message.trace, kind: .client, attributes: [
            "relay.message_id": message.id, "relay.request_id": message.requestId, "relay.endpoint": message.endpointName,
            "relay.attempt": String(message.attemptCount + 1), "http.request.method": "POST",
        ]) { trace, span in
            await attemptOnce(claimed, trace: trace, span: span)
        }
    }

    private func attemptOnce(_ claimed: ClaimedMessage, trace: TraceHeaders?, span: (any Span)?) async {
        let message = claimed.message
        let endpoint = claimed.endpoint
        let policy = endpoint?.settings.policy(over: options.retry) ?? options.retry
        let started = clock.now()
        let wallStart = ContinuousClock.now
        var target = routing.target(for: message, endpoint: endpoint, at: started)
        if let trace {
            target.headers["traceparent"] = trace.traceparent
            target.headers["tracestate"] = trace.tracestate
        }
        let answer = await deliverer.send(
            url: message.url, messageId: message.id, body: target.body, secrets: target.secrets,
            headers: target.headers, timeout: policy.attemptTimeout, now: started
        )
        if case .response(let status, _, _) = answer { span?.attributes["http.response.status_code"] = status }
        if Task.isCancelled { return }  // shutdown past its grace: the lease is released, not spent
        let elapsed = ContinuousClock.now - wallStart
        let durationMs = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        let now = clock.now()
        let verdict = routing.classify(message, answer: answer, now: now)
        var disposition = policy.disposition(
            after: verdict, attemptNumber: claimed.roundAttempt, now: now, deadline: message.deadline, random: random
        )
        if routing.abandons(message, answer: answer) { disposition = .abandoned }
        let attempt = routing.redacted(Self.attemptRecord(
            messageId: message.id, number: message.attemptCount + 1, started: started, durationMs: durationMs,
            answer: answer, verdict: verdict
        ), of: message)
        var disableReason: String?
        if case .permanent(_, true) = verdict, message.purpose == .delivery { disableReason = "gone: the endpoint answered 410" }
        let completion = AttemptCompletion(
            messageId: message.id, leaseToken: claimed.leaseToken, attempt: attempt, disposition: disposition,
            disableEndpointReason: disableReason, decision: routing.decision(in: verdict, of: message),
            controlPlaneAnswer: routing.controlPlaneAnswer(to: message, answer: answer, verdict: verdict),
            requestFailure: routing.requestFailure(of: message, answer: answer), trace: trace
        )
        if attempt.outcome != .delivered { span?.setStatus(SpanStatus(code: .error, message: attempt.error)) }
        var metadata: Logger.Metadata = [
            "message_id": "\(message.id)", "request_id": "\(message.requestId)", "endpoint": "\(message.endpointName)",
            "attempt": "\(attempt.number)", "outcome": "\(attempt.outcome.rawValue)", "duration_ms": "\(durationMs)",
        ]
        if let trace { metadata["trace_id"] = "\(trace.traceID)" }
        if let status = attempt.statusCode { metadata["status"] = "\(status)" }
        if let error = attempt.error { metadata["error"] = "\(error)" }
        do {
            let recorded = try await store.complete(completion, planner: routing.planner)
            if !recorded {
                logger.warning("lease lost before the attempt was recorded; the new owner's result stands", metadata: metadata)
                return
            }
        } catch {
            metadata["store_error"] = "\(error)"
            logger.error("could not record attempt; the message is retried when its lease expires", metadata: metadata)
            return
        }
        metrics.attempt(message, outcome: attempt.outcome, duration: elapsed)
        metrics.finished(message, disposition: disposition, at: now)
        switch disposition {
        case .delivered:
            if let decision = completion.decision { metadata["sync_decision"] = "\(decision.decision.rawValue)" }
            if let flag = completion.controlPlaneAnswer?.flag { logger.warning("control plane contradicted a decision", metadata: metadata.merging(["flag": "\(flag)"]) { $1 }) }
            logger.debug("delivered", metadata: metadata)
        case .retry(let at):
            metadata["retry_at"] = "\(at)"
            logger.info("attempt failed; retry scheduled", metadata: metadata)
        case .dead(let reason):
            metadata["dead_reason"] = "\(reason.rawValue)"
            logger.warning("dead letter", metadata: metadata)
            if let failure = completion.requestFailure {
                logger.warning("the adapter cannot show this request; it fails now unless another endpoint has it",
                               metadata: metadata.merging(["reason": "\(failure.reason ?? "")"]) { $1 })
            }
        case .abandoned:
            logger.info("forward abandoned: the receiver no longer waits for this decision (404)", metadata: metadata)
        }
    }

    static func attemptRecord(messageId: String, number: Int, started: Date, durationMs: Int,
                              answer: DeliveryAnswer, verdict: AnswerClass) -> Attempt {
        var status: Int?
        var excerpt: String?
        var error: String?
        switch answer {
        case .response(let code, _, let body):
            status = code
            if !body.isEmpty {
                excerpt = String(decoding: body.prefix(Attempt.excerptLimit), as: UTF8.self)
            }
        case .transportFailure(let failure):
            error = failure.description
        }
        let outcome: AttemptOutcome
        switch verdict {
        case .delivered: outcome = .delivered
        case .retryable(let reason, _):
            outcome = .retryable
            error = error ?? reason
        case .permanent(let reason, _):
            outcome = .permanent
            error = error ?? reason
        }
        return Attempt(messageId: messageId, number: number, startedAt: started, durationMs: durationMs,
                       statusCode: status, error: error, responseExcerpt: excerpt, outcome: outcome)
    }
}
