import Foundation
import RelayCore

/// SPEC §12's escalation: when no decision has come `after_sec` seconds after submit, the request is also
/// delivered to the step's endpoints — each step once, in order, never past the deadline (a step that comes
/// due then is passed over) and never after a decision (only requests still `requested` are read).
enum EscalationRule {
    static func fire(_ request: RelayRequest, endpoints: [String: Endpoint], factory: DeliveryFactory, now: Date) -> (writes: [StoreWrite], fired: Escalation) {
        var lifecycle = request.lifecycle
        var targets: [Endpoint] = []
        // Every step whose time has come (more than one after an outage), in order.
        while let due = lifecycle.nextEscalation(createdAt: request.createdAt), due <= now {
            if now < request.deadline {
                // An endpoint deleted since the submit is passed over; a disabled one keeps its delivery until enabled (SPEC §4).
                targets += lifecycle.escalation[lifecycle.escalated].endpoints.compactMap { endpoints[$0.id] }
            }
            lifecycle.escalated += 1
        }
        let body = DeliveryFactory.body(payload: JSONValue.parse(request.payload) ?? .object([:]), requestId: request.id)
        let deliveries = factory.deliveries(requestId: request.id, body: body, to: targets, deadline: request.deadline, now: now,
                                            trace: request.trace)
        var writes = deliveries.map(StoreWrite.insertMessage)
        writes.append(.recordEscalation(requestId: request.id, lifecycle, nextAt: lifecycle.nextEscalation(createdAt: request.createdAt), at: now))
        return (writes, Escalation(request: request, endpoints: targets.map(\.name)))
    }
}
