import Foundation
import Logging
import RelayCore
import RelayDelivery
import RelayStore

extension RelayApplication {
    /// Takes a decision from any door, as its contract normalized it: applied by the store through the transition table
    /// (or counted as its endpoint's vote), its forwards committed with it before this returns. `source` names the
    /// door and, for a callback, carries the body kept in the request's timeline (SPEC §16). Every outcome is logged
    /// with the request and the door: a refused or unknown callback must not vanish into a metric.
    public func decide(_ lookup: RequestLookup, _ decision: NormalizedDecision, source: DecisionSource) async throws -> DecisionOutcome {
        let outcome = try await store.decide(lookup, decision, source: source, planner: routing.planner, now: clock.now())
        let via = source.door ?? source.path.rawValue
        switch outcome {
        case .moved(let request):
            wake.signal()
            logger.info("decision recorded", metadata: [
                "request_id": "\(request.id)", "correlation_id": "\(request.correlationId)", "state": "\(request.state.rawValue)",
                "decision": "\(decision.decision.rawValue)", "via": "\(via)",
            ])
        case .voted(let request, let approvals, let needed):
            logger.info("vote counted", metadata: [
                "request_id": "\(request.id)", "decision": "\(decision.decision.rawValue)", "approvals": "\(approvals)",
                "needed": "\(needed)", "via": "\(via)",
            ])
        case .duplicate(let request):
            logger.info("duplicate decision", metadata: ["request_id": "\(request.id)", "decision": "\(decision.decision.rawValue)", "via": "\(via)"])
        case .refused(let request):
            logger.warning("decision refused: the request's state does not allow it; kept in its timeline as ignored", metadata: [
                "request_id": "\(request.id)", "correlation_id": "\(request.correlationId)", "state": "\(request.state.rawValue)",
                "decision": "\(decision.decision.rawValue)", "via": "\(via)", "outcome": "refused",
            ])
            let wanted = decision.decision == .cancelled
                ? "only a request still waiting for a decision (requested) can be cancelled"
                : "a \(decision.decision.rawValue) decision cannot follow it"
            throw RelayError(.conflict, code: "transition_refused", "request \(request.id) is \(request.state.rawValue); \(wanted)",
                             state: request.state.rawValue)
        case .voteRefused(let request, let reason):
            logger.warning("vote refused; kept in its timeline as ignored", metadata: [
                "request_id": "\(request.id)", "decision": "\(decision.decision.rawValue)", "via": "\(via)", "outcome": "refused",
                "reason": "\(reason)",
            ])
            throw RelayError(.conflict, code: "vote_refused", reason, state: request.state.rawValue)
        case .notFound:
            logger.warning("decision refused: no such request", metadata: [
                "lookup": "\(lookup.logValue)", "decision": "\(decision.decision.rawValue)", "via": "\(via)", "outcome": "unknown",
            ])
            throw RelayError.notFound(source.door == nil ? "no request with \(lookup.logValue)" : "no request for this callback (\(via))")
        }
        return outcome
    }

    /// The request a capability URL's token names, with the endpoint whose delivery carried it.
    public func capability(token: String) async throws -> CapabilityHolder? {
        try await store.capability(tokenHash: CapabilityToken.hash(token))
    }

    /// Cancels a request still waiting for a decision (SPEC §12): by an admin (`.admin`: forwarded to every sink), or by
    /// whoever submitted it (`.submitter`: only to its own callback URL). `actor` names who, in the audit trail.
    public func cancel(_ key: String, reason: String?, by path: DecisionPath, actor: String) async throws -> DecisionOutcome {
        if let reason, reason.count > Self.maxCancelReason {
            throw RelayError.invalid("reason must be at most \(Self.maxCancelReason) characters", field: "reason")
        }
        let reason = reason.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        return try await decide(.idOrCorrelationId(key), NormalizedDecision(decision: .cancelled, reason: reason, actor: actor),
                                source: DecisionSource(path: path))
    }

    public static let maxCancelReason = 1000
}

extension RequestLookup {
    /// What a log line says about a lookup that found nothing (never a capability token's hash).
    public var logValue: String {
        switch self {
        case .id(let id): "id \(id)"
        case .callbackTokenHash: "capability URL"
        case .idOrCorrelationId(let key): "id or correlation_id \(key)"
        case .correlationId(let id, _): "correlation_id \(id)"
        case .approvalRequestId(let id): "approval_request_id \(id)"
        }
    }
}
