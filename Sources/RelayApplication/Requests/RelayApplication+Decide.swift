import Foundation
import Logging
import RelayCore
import RelayDelivery
import RelayStore

extension RelayApplication {
    /// Takes a decision from any door, as its contract normalized it: applied by the store through the transition table,
    /// its forwards committed with it before this returns. `via` names the door (`capability`, `contract-a`,
    /// `contract-b`); `body` is kept in the request's timeline with what became of it (SPEC §16). Every outcome
    /// is logged with the request and the door: a refused or unknown callback must not vanish into a metric.
    public func decide(_ lookup: RequestLookup, _ decision: NormalizedDecision, via path: String, body: Data) async throws -> DecisionOutcome {
        let outcome = try await store.decide(lookup, decision, planner: routing.planner, now: clock.now(),
                                             callback: IncomingCallback(path: path, body: body))
        switch outcome {
        case .moved(let request):
            wake.signal()
            logger.info("decision recorded", metadata: [
                "request_id": "\(request.id)", "correlation_id": "\(request.correlationId)",
                "decision": "\(decision.decision.rawValue)", "via": "\(path)",
            ])
        case .duplicate(let request):
            logger.info("duplicate decision", metadata: ["request_id": "\(request.id)", "decision": "\(decision.decision.rawValue)", "via": "\(path)"])
        case .refused(let request):
            logger.warning("callback refused: the request's state does not allow it; kept in its timeline as ignored", metadata: [
                "request_id": "\(request.id)", "correlation_id": "\(request.correlationId)", "state": "\(request.state.rawValue)",
                "decision": "\(decision.decision.rawValue)", "via": "\(path)", "outcome": "refused",
            ])
            throw RelayError(.conflict, code: "transition_refused",
                             "request \(request.id) is \(request.state.rawValue); a \(decision.decision.rawValue) decision cannot follow it",
                             state: request.state.rawValue)
        case .notFound:
            logger.warning("callback refused: no such request", metadata: [
                "lookup": "\(lookup.logValue)", "decision": "\(decision.decision.rawValue)", "via": "\(path)", "outcome": "unknown",
            ])
            throw RelayError.notFound("no request for this callback (\(path))")
        }
        return outcome
    }
}

extension RequestLookup {
    /// What a log line says about a lookup that found nothing (never a capability token's hash).
    public var logValue: String {
        switch self {
        case .id(let id): "id \(id)"
        case .callbackTokenHash: "capability URL"
        case .correlationId(let id, _): "correlation_id \(id)"
        case .approvalRequestId(let id): "approval_request_id \(id)"
        }
    }
}
