import Foundation

/// Makes the deliveries of a request — at submit, and when an escalation step fires — one per endpoint, each
/// with its own callback capability (SPEC §12: every vote names its endpoint). The stored body is the
/// submitted one with two placeholders the dispatcher completes at send time: the callback URL (its token
/// is never stored) and the seconds left (they change with every attempt).
public struct DeliveryFactory: Sendable {
    public var capability: CallbackCapability

    public init(capability: CallbackCapability) {
        self.capability = capability
    }

    /// The body every delivery of a request carries, from the submitted contract-A payload.
    public static func body(payload: JSONValue, requestId: String) -> Data {
        var delivered = payload.objectValue ?? [:]
        delivered["callback"] = ["url": .string(CallbackCapability.placeholder(for: requestId))]
        delivered["timeout_sec"] = .string(TimeLeft.placeholder)
        return JSONValue.object(delivered).encoded()
    }

    /// One pending delivery per endpoint, due now.
    public func deliveries(requestId: String, body: Data, to endpoints: [Endpoint], deadline: Date, now: Date,
                           trace: TraceHeaders? = nil) -> [Message] {
        endpoints.map { endpoint in
            let id = Identifier.make("msg", at: now)
            return Message(
                id: id, requestId: requestId, endpointId: endpoint.id, endpointName: endpoint.name, purpose: .delivery,
                url: endpoint.url, body: body, state: .pending, attemptCount: 0, dueAt: now, deadline: deadline,
                createdAt: now, updatedAt: now, callbackTokenHash: capability.tokenHash(for: requestId, delivery: id), trace: trace
            )
        }
    }
}
