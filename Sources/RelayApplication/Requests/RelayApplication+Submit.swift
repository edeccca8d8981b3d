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
    public func submit(_ submission: Submission, key: SubmitKey?, api: String) async throws -> SubmitResult {
        // The checks that need no I/O first.
        try Self.requireDeliverableCallback(submission)
        try requireSink(submission)
        let endpoints = try await targetEndpoints(for: submission)
        var newRequest = makeRequest(submission, endpoints: endpoints, now: clock.now())
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
            logger.info("request accepted", metadata: [
                "request_id": "\(created.id)", "correlation_id": "\(created.correlationId)", "kind": "\(created.kind.rawValue)",
                "messages": "\(newRequest.messages.count)", "door": "\(api)",
            ])
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
    func targetEndpoints(for submission: Submission) async throws -> [Endpoint] {
        let all = try await store.endpoints()
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

    /// A decision must have somewhere to go (SPEC §6): the request's own callback, or the control plane.
    func requireSink(_ submission: Submission) throws {
        if routing.planner.hasSink(callbackURL: submission.callbackURL, approvalRequestId: submission.approvalRequestId) { return }
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

    /// The request and one delivery message per endpoint, all due now. The delivered body's `callback.url`
    /// is the relay's capability URL for the request and its `timeout_sec` the seconds left, both completed
    /// at send time (the token is never stored; the time left changes with every attempt).
    func makeRequest(_ submission: Submission, endpoints: [Endpoint], now: Date) -> NewRequest {
        let requestId = Identifier.make("req", at: now)
        let deadline = now.addingTimeInterval(submission.timeoutSec.map(TimeInterval.init) ?? policy.defaultRequestTimeout)
        var delivered = submission.payload.objectValue ?? [:]
        delivered["callback"] = ["url": .string(CallbackCapability.placeholder(for: requestId))]
        delivered["timeout_sec"] = .string(TimeLeft.placeholder)
        let deliveryBody = JSONValue.object(delivered).encoded()
        let request = RelayRequest(
            id: requestId, kind: submission.kind, correlationId: submission.correlationId,
            approvalRequestId: submission.approvalRequestId, tool: submission.tool, state: .requested, payload: submission.payload.encoded(),
            callbackURL: submission.callbackURL, deadline: deadline, createdAt: now, updatedAt: now
        )
        let messages = endpoints.map { endpoint in
            Message(
                id: Identifier.make("msg", at: now), requestId: requestId, endpointId: endpoint.id,
                endpointName: endpoint.name, purpose: .delivery, url: endpoint.url, body: deliveryBody, state: .pending,
                attemptCount: 0, dueAt: now, deadline: deadline, createdAt: now, updatedAt: now
            )
        }
        return NewRequest(request: request, messages: messages, idempotency: nil, callbackTokenHash: routing.capability.tokenHash(for: requestId))
    }

    /// A request with its whole timeline, by id or correlation id.
    public func timeline(_ key: String) async throws -> RequestTimeline {
        guard let timeline = try await store.timeline(idOrCorrelationId: key) else {
            throw RelayError.notFound("no request with id or correlation_id \(key)")
        }
        return timeline
    }
}
