import Foundation
import Logging
import RelayCore
import RelayDelivery
import RelayStore

/// What a submit came to.
public enum SubmitResult: Sendable {
    /// Stored now; `answer` is the body the native door answers (and answers again to a replay of its key).
    case accepted(RelayRequest, answer: Data)
    /// The same `Idempotency-Key` and body as an earlier submit: that submit's answer.
    case replayed(status: Int, body: Data)
    /// Another request already holds the correlation id (the drop-in door answers from it; the native door refuses).
    case correlationIdTaken(RelayRequest)
}

/// The `Idempotency-Key` of a native submit, with the hash of the body it came with.
public struct SubmitKey: Sendable {
    public var key: String
    public var bodyHash: String

    public init(key: String, bodyHash: String) {
        self.key = key
        self.bodyHash = bodyHash
    }

    public static let maximumLength = 255
}

extension RelayApplication {
    /// Stores a validated submission with one delivery per target endpoint, durably, and wakes the dispatcher.
    /// `api` names the door in metrics and logs.
    public func submit(_ submission: Submission, key: SubmitKey?, api: String, trace: TraceHeaders? = nil) async throws -> SubmitResult {
        // The checks that need no I/O first.
        try Self.requireDeliverableCallback(submission)
        try requireSink(submission)
        let all = try await store.endpoints()
        let endpoints = try targetEndpoints(for: submission, among: all)
        let now = clock.now()
        let timeout = submission.timeoutSec.map(TimeInterval.init) ?? policy.defaultRequestTimeout
        let lifecycle = try Self.lifecycle(of: submission, targets: endpoints, among: all, timeout: timeout)
        var newRequest = makeRequest(submission, endpoints: endpoints, lifecycle: lifecycle, deadline: now.addingTimeInterval(timeout), now: now,
                                     trace: trace)
        let answer = APIJSON.encode(SubmitAnswer(
            id: newRequest.request.id, correlationId: submission.correlationId, approvalRequestId: submission.approvalRequestId,
            kind: submission.kind.rawValue, state: newRequest.request.state.rawValue, deadline: newRequest.request.deadline,
            messages: newRequest.messages.map { .init(id: $0.id, endpoint: $0.endpointName) }
        ))
        newRequest.idempotency = key.map { IdempotencyRecord(key: $0.key, bodyHash: $0.bodyHash, responseStatus: 202, responseBody: answer) }
        switch try await store.submit(newRequest) {
        case .created(let created):
            wake.signal()
            metrics.submitted(kind: created.kind, api: api)
            var metadata: Logger.Metadata = [
                "request_id": "\(created.id)", "correlation_id": "\(created.correlationId)", "kind": "\(created.kind.rawValue)",
                "messages": "\(newRequest.messages.count)", "door": "\(api)",
            ]
            if let trace { metadata["trace_id"] = "\(trace.traceID)" }
            logger.info("request accepted", metadata: metadata)
            return .accepted(created, answer: answer)
        case .replayed(let status, let body):
            return .replayed(status: status, body: body)
        case .keyReused:
            throw RelayError(.refused, code: "idempotency_key_reused",
                             "this Idempotency-Key was already used with another body; use a new key for a new request", field: "Idempotency-Key")
        case .correlationIdTaken(let existing):
            return .correlationIdTaken(existing)
        case .approvalRequestIdOpen(let existing):
            // A contract-B callback names its request by this id: two open ones would let whichever was
            // submitted last take the other's decision.
            throw RelayError(.conflict, code: "approval_request_id_open",
                             "approval_request_id \(existing.approvalRequestId ?? 0) already belongs to open request \(existing.id) (\(existing.state.rawValue)); wait for its decision or cancel it, or use another id",
                             field: "approval_request_id")
        }
    }

    /// The endpoints a submission goes to: the ones it names, or every enabled endpoint of its role serving its tool.
    func targetEndpoints(for submission: Submission, among all: [Endpoint]) throws -> [Endpoint] {
        let role = submission.kind.role
        if let names = submission.endpointNames {
            return try names.map { name in
                guard let endpoint = all.first(where: { $0.name == name || $0.id == name }) else {
                    throw RelayError(.refused, code: "unknown_endpoint", "no endpoint named \(name)", field: "endpoints")
                }
                guard endpoint.role == role else {
                    throw RelayError(.refused, code: "endpoint_role_mismatch",
                                     "endpoint \(name) is an \(endpoint.role.rawValue); \(submission.kind.rawValue) requests go to \(role.rawValue)s",
                                     field: "endpoints")
                }
                return endpoint
            }
        }
        let matching = all.filter { $0.enabled && $0.role == role && $0.serves(tool: submission.tool) }
        guard !matching.isEmpty else {
            throw RelayError(.refused, code: "no_endpoint",
                             "no enabled \(role.rawValue) endpoint serves tool \(submission.tool); register one with POST /api/v1/endpoints")
        }
        return matching
    }

    /// A decision must have somewhere to go (SPEC §6): the request's own callback, or the control plane; and
    /// where it goes, it must be deliverable (a control plane's reference of the form it needs).
    func requireSink(_ submission: Submission) throws {
        let target = ForwardTarget(callbackURL: submission.callbackURL, approvalRequestId: submission.approvalRequestId,
                                   controlPlaneRef: submission.controlPlaneRef)
        if let refusal = routing.planner.refusal(of: target) {
            throw RelayError(.refused, code: "control_plane_ref_refused", refusal.message, field: refusal.field)
        }
        if routing.planner.hasSink(target) { return }
        let requirements = routing.planner.contracts.map(\.requirement).filter { !$0.isEmpty }
        let hint = requirements.count > 1 ? requirements.joined(separator: ", or ")
            : "send callback.url, or configure a control plane (RELAY_CONTROL_PLANE_URL)"
        throw RelayError(.refused, code: "no_sink", "the decision would have nowhere to go: \(hint)", field: "callback.url")
    }

    /// A callback URL the relay will not deliver to (a non-canonical IPv4 host) is refused before anything is stored.
    static func requireDeliverableCallback(_ submission: Submission) throws {
        if let url = submission.callbackURL, let refusal = DeliveryURL.refusal(url) {
            throw RelayError(.refused, code: "callback_url_refused", "callback.url \(refusal)", field: "callback.url")
        }
    }

    /// What the submit asked beyond one decision, checked against the endpoints that exist (SPEC §12): each
    /// escalation step names enabled endpoints of the request's role that do not receive it already, and fires
    /// before the deadline; `min_approvals` is at most the endpoints the request goes to, escalations included.
    static func lifecycle(of submission: Submission, targets: [Endpoint], among all: [Endpoint], timeout: TimeInterval) throws -> RequestLifecycle {
        var receiving = Set(targets.map(\.id))
        var steps: [EscalationStep] = []
        for (index, step) in submission.escalation.enumerated() {
            let field = "escalation[\(index)]"
            if let previous = steps.last, step.afterSec <= previous.afterSec {
                throw RelayError(.refused, code: "escalation_out_of_order",
                                 "\(field).after_sec must be later than the step before it (\(previous.afterSec) s): steps fire in order",
                                 field: "\(field).after_sec")
            }
            guard TimeInterval(step.afterSec) < timeout else {
                throw RelayError(.refused, code: "escalation_past_deadline",
                                 "\(field).after_sec is \(step.afterSec) s, not before the request's deadline (\(Int(timeout)) s after submit): it would never fire; shorten it or give a longer timeout_sec",
                                 field: "\(field).after_sec")
            }
            let endpoints = try step.endpointNames.map { name in
                guard let endpoint = all.first(where: { $0.name == name || $0.id == name }) else {
                    throw RelayError(.refused, code: "unknown_endpoint", "\(field).endpoints names \(name), which is not a registered endpoint",
                                     field: "\(field).endpoints")
                }
                guard endpoint.enabled else {
                    throw RelayError(.refused, code: "endpoint_disabled", "\(field).endpoints names \(name), which is disabled: enable it or name another",
                                     field: "\(field).endpoints")
                }
                guard endpoint.role == submission.kind.role else {
                    throw RelayError(.refused, code: "endpoint_role_mismatch",
                                     "\(field).endpoints names \(name), an \(endpoint.role.rawValue); \(submission.kind.rawValue) requests go to \(submission.kind.role.rawValue)s",
                                     field: "\(field).endpoints")
                }
                guard receiving.insert(endpoint.id).inserted else {
                    throw RelayError(.refused, code: "endpoint_already_asked",
                                     "\(field).endpoints names \(name), which already receives the request (at submit or in an earlier step)",
                                     field: "\(field).endpoints")
                }
                return EndpointRef(id: endpoint.id, name: endpoint.name)
            }
            steps.append(EscalationStep(afterSec: step.afterSec, endpoints: endpoints))
        }
        let minApprovals = submission.minApprovals ?? 1
        guard minApprovals <= receiving.count else {
            throw RelayError(.refused, code: "quorum_unreachable",
                             "approval_policy.min_approvals is \(minApprovals), but the request goes to \(receiving.count) endpoint(s), escalations included: no quorum could be met",
                             field: "approval_policy.min_approvals")
        }
        return RequestLifecycle(minApprovals: minApprovals, escalation: steps, eligibleEndpoints: receiving.count)
    }

    /// The request and one delivery message per endpoint, all due now, each with its own capability URL
    /// (`DeliveryFactory`): the delivered body's `callback.url` and `timeout_sec` are completed at send time.
    func makeRequest(_ submission: Submission, endpoints: [Endpoint], lifecycle: RequestLifecycle, deadline: Date, now: Date,
                     trace: TraceHeaders?) -> NewRequest {
        let requestId = Identifier.make("req", at: now)
        var request = RelayRequest(
            id: requestId, kind: submission.kind, correlationId: submission.correlationId,
            approvalRequestId: submission.approvalRequestId, tool: submission.tool, state: .requested, payload: submission.payload.encoded(),
            callbackURL: submission.callbackURL, deadline: deadline, createdAt: now, updatedAt: now
        )
        request.lifecycle = lifecycle
        request.controlPlaneRef = submission.controlPlaneRef
        request.trace = trace
        let body = DeliveryFactory.body(payload: submission.payload, requestId: requestId)
        let messages = routing.deliveries.deliveries(requestId: requestId, body: body, to: endpoints, deadline: deadline, now: now, trace: trace)
        return NewRequest(request: request, messages: messages, idempotency: nil)
    }

    /// A request with its whole timeline, by id or correlation id.
    public func timeline(_ key: String) async throws -> RequestTimeline {
        guard let timeline = try await store.timeline(idOrCorrelationId: key) else {
            throw RelayError.notFound("no request with id or correlation_id \(key)")
        }
        return timeline
    }
}
