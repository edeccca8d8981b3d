import Foundation

/// The `request.resolved` notice (SPEC §12): sent, signed with the endpoint's own secret, to the
/// `resolution_url` of every endpoint that was shown a request and did not answer it, once the request is
/// resolved elsewhere (another endpoint decided, a quorum was met or vetoed, the request was cancelled or
/// expired), so that its UI can retract the question.
public enum ResolutionNotice {
    public static let type = "request.resolved"

    public static func body(_ request: RelayRequest, decidedBy endpoint: String?, at now: Date) -> JSONValue {
        let time = JSONValue.string(ISO8601.string(now))
        return .object([
            "type": .string(type),
            "timestamp": time,
            "data": .object([
                "id": .string(request.id), "correlation_id": .string(request.correlationId),
                "kind": .string(request.kind.rawValue), "tool": .string(request.tool),
                "state": .string(request.state.rawValue),
                "decision": Decision(request.state).map { .string($0.rawValue) } ?? .null,
                "reason": request.decisionReason.map(JSONValue.string) ?? .null,
                "decided_by": endpoint.map(JSONValue.string) ?? .null,
                "actor": request.decisionActor.map(JSONValue.string) ?? .null,
                "resolved_at": time,
            ]),
        ])
    }
}
