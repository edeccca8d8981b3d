import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// `POST /api/v1/requests`: the native submit (SPEC §3.1).
struct SubmitRoutes {
    let dependencies: RelayDependencies
    static let idempotencyKeyLimit = 255

    func register(on group: RouterGroup<RelayRequestContext>) {
        group.post("/requests") { request, context in
            try await submit(request, logger: context.logger)
        }
    }

    func submit(_ request: Request, logger: Logger) async throws -> Response {
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            throw APIError.badRequest("the Idempotency-Key header is required: send the same key when you retry this submit", field: "Idempotency-Key")
        }
        guard key.utf8.count <= Self.idempotencyKeyLimit else {
            throw APIError.badRequest("Idempotency-Key must be at most \(Self.idempotencyKeyLimit) bytes", field: "Idempotency-Key")
        }
        let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
        let submission: Submission
        switch SubmissionValidator.validate(body, door: .native) {
        case .success(let valid): submission = valid
        case .failure(let error): throw APIError.badRequest(error.message, field: error.field)
        }
        let now = dependencies.clock.now()
        let endpoints = try await selectEndpoints(for: submission)
        try requireSink(submission)
        let newRequest = Self.makeRequest(submission, endpoints: endpoints, now: now,
                                          defaultTimeout: dependencies.settings.defaultRequestTimeout, capability: dependencies.routing.capability)
        let answer = SubmitAnswer(
            id: newRequest.request.id, correlationId: submission.correlationId, approvalRequestId: submission.approvalRequestId,
            kind: submission.kind.rawValue, state: newRequest.request.state.rawValue, deadline: newRequest.request.deadline,
            messages: newRequest.messages.map { .init(id: $0.id, endpoint: $0.endpointName) }
        )
        let answerBody = JSONResponse.encode(answer)
        var stored = newRequest
        stored.idempotency = IdempotencyRecord(
            key: key, bodyHash: Fingerprint.sha256Hex(body), responseStatus: 202, responseBody: answerBody
        )
        switch try await dependencies.store.submit(stored) {
        case .created(let created):
            dependencies.wake.signal()
            dependencies.metrics.submitted(kind: created.kind, api: "native")
            logger.info("request accepted", metadata: [
                "request_id": "\(created.id)", "correlation_id": "\(created.correlationId)",
                "kind": "\(created.kind.rawValue)", "messages": "\(stored.messages.count)",
            ])
            return JSONResponse.raw(status: .accepted, answerBody)
        case .replayed(let status, let body):
            var headers = HTTPFields()
            headers[.idempotentReplayed] = "true"
            return JSONResponse.raw(status: .init(code: status), body, headers: headers)
        case .keyReused:
            throw APIError(.unprocessableContent, code: "idempotency_key_reused",
                           "this Idempotency-Key was already used with another body; use a new key for a new request",
                           field: "Idempotency-Key")
        case .correlationIdTaken(let existing):
            throw APIError(.conflict, code: "correlation_id_taken",
                           "correlation_id \(existing.correlationId) already belongs to request \(existing.id); use a new correlation_id",
                           field: "correlation_id")
        case .approvalRequestIdOpen(let existing):
            throw APIError.approvalRequestIdOpen(existing)
        }
    }

    /// The endpoints a submission goes to: the ones it names, or every enabled endpoint of its role serving its tool.
    func selectEndpoints(for submission: Submission) async throws -> [Endpoint] {
        let all = try await dependencies.store.endpoints()
        let role = submission.kind.role
        if let names = submission.endpointNames {
            return try names.map { name in
                guard let endpoint = all.first(where: { $0.name == name || $0.id == name }) else {
                    throw APIError(.unprocessableContent, code: "unknown_endpoint", "no endpoint named \(name)", field: "endpoints")
                }
                guard endpoint.role == role else {
                    throw APIError(.unprocessableContent, code: "endpoint_role_mismatch",
                                   "endpoint \(name) is an \(endpoint.role.rawValue); \(submission.kind.rawValue) requests go to \(role.rawValue)s",
                                   field: "endpoints")
                }
                return endpoint
            }
        }
        let matching = all.filter { $0.enabled && $0.role == role && $0.serves(tool: submission.tool) }
        guard !matching.isEmpty else {
            throw APIError(.unprocessableContent, code: "no_endpoint",
                           "no enabled \(role.rawValue) endpoint serves tool \(submission.tool); register one with POST /api/v1/endpoints")
        }
        return matching
    }

    /// A decision must have somewhere to go (SPEC §6): the request's own callback, or the control plane.
    func requireSink(_ submission: Submission) throws {
        try Self.requireDeliverableCallback(submission)
        if dependencies.routing.planner.hasSink(callbackURL: submission.callbackURL, approvalRequestId: submission.approvalRequestId) { return }
        let hint = dependencies.routing.planner.controlPlane?.format == .codexK8s
            ? "send callback.url, or approval_request_id for the configured codex-k8s control plane"
            : "send callback.url, or configure a control plane (RELAY_CONTROL_PLANE_URL)"
        throw APIError(.unprocessableContent, code: "no_sink", "the decision would have nowhere to go: \(hint)", field: "callback.url")
    }

    /// The request and one delivery message per endpoint, all due now. The delivered body's `callback.url`
    /// is the relay's capability URL for the request and its `timeout_sec` the seconds left, both completed
    /// at send time (the token is never stored; the time left changes with every attempt).
    static func makeRequest(_ submission: Submission, endpoints: [Endpoint], now: Date, defaultTimeout: TimeInterval,
                            capability: CallbackCapability) -> NewRequest {
        let requestId = Identifier.make("req", at: now)
        let deadline = now.addingTimeInterval(submission.timeoutSec.map(TimeInterval.init) ?? defaultTimeout)
        let payload = submission.payload.encoded()
        var delivered = submission.payload.objectValue ?? [:]
        delivered["callback"] = ["url": .string(CallbackCapability.placeholder(for: requestId))]
        delivered["timeout_sec"] = .string(TimeLeft.placeholder)
        let deliveryBody = JSONValue.object(delivered).encoded()
        let request = RelayRequest(
            id: requestId, kind: submission.kind, correlationId: submission.correlationId,
            approvalRequestId: submission.approvalRequestId, tool: submission.tool, state: .requested, payload: payload,
            callbackURL: submission.callbackURL, deadline: deadline, createdAt: now, updatedAt: now
        )
        let messages = endpoints.map { endpoint in
            Message(
                id: Identifier.make("msg", at: now), requestId: requestId, endpointId: endpoint.id,
                endpointName: endpoint.name, purpose: .delivery, url: endpoint.url, body: deliveryBody, state: .pending,
                attemptCount: 0, dueAt: now, deadline: deadline, createdAt: now, updatedAt: now
            )
        }
        return NewRequest(request: request, messages: messages, idempotency: nil,
                          callbackTokenHash: capability.tokenHash(for: requestId))
    }
}

extension SubmitRoutes {
    /// A callback URL the relay will not deliver to (a non-canonical IPv4 host) is refused before anything is stored.
    static func requireDeliverableCallback(_ submission: Submission) throws {
        if let url = submission.callbackURL, let refusal = DeliveryURL.refusal(url) {
            throw APIError(.unprocessableContent, code: "callback_url_refused", "callback.url \(refusal)", field: "callback.url")
        }
    }
}

extension APIError {
    /// 409 for a second open request with the same `approval_request_id`: a contract-B callback names its
    /// request by that id, so two open ones would let whichever was submitted last take the other's decision.
    static func approvalRequestIdOpen(_ existing: RelayRequest) -> APIError {
        APIError(.conflict, code: "approval_request_id_open",
                 "approval_request_id \(existing.approvalRequestId ?? 0) already belongs to open request \(existing.id) (\(existing.state.rawValue)); wait for its decision or cancel it, or use another id",
                 field: "approval_request_id")
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
