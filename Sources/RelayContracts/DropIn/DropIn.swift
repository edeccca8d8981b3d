import Foundation
import RelayCore

/// The drop-in doors (SPEC §3.2): `POST /approve` and `POST /execute` take yaml-mcp-server's request as an
/// async adapter does, and answer in the reference adapters' own shapes.
public enum DropIn {
    public static func pending(kind: RequestKind, correlationId: String) -> JSONValue {
        kind == .approval
            ? ["decision": "pending", "reason": "queued", "correlation_id": .string(correlationId)]
            : ["status": "pending", "result": "queued", "correlation_id": .string(correlationId)]
    }

    public static func error(kind: RequestKind, _ message: String) -> JSONValue {
        kind == .approval ? ["decision": "error", "reason": .string(message)] : ["status": "error", "result": .string(message)]
    }

    /// A repeat of a request that is already decided is answered as a synchronous adapter would: with the decision.
    public static func decided(_ request: RelayRequest) -> JSONValue {
        let decision = NormalizedDecision(decision: Decision(request.state) ?? .failed, reason: request.decisionReason,
                                          result: request.decisionResult, actor: request.decisionActor)
        return ContractA.body(request, decision)
    }

    /// What the relay says when it fails itself, in the adapter's words.
    public static func internalFailure(kind: RequestKind) -> String { kind == .approval ? "approval failed" : "execution failed" }
}
