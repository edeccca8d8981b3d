import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery
import RelayStore

/// `POST /api/v1/requests`: the native submit (SPEC §3.1).
struct SubmitRoutes {
    let dependencies: RelayDependencies

    func register(on group: RouterGroup<RelayRequestContext>) {
        group.post("/requests") { request, _ in
            // The submit's server span continues the caller's trace (SPEC §14); its context is stored with the request.
            try await dependencies.submitSpan(request, route: "/api/v1/requests") { trace in try await submit(request, trace: trace) }
        }
    }

    func submit(_ request: Request, trace: TraceHeaders?) async throws -> Response {
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            throw APIError.badRequest("the Idempotency-Key header is required: send the same key when you retry this submit", field: "Idempotency-Key")
        }
        guard key.utf8.count <= SubmitKey.maximumLength else {
            throw APIError.badRequest("Idempotency-Key must be at most \(SubmitKey.maximumLength) bytes", field: "Idempotency-Key")
        }
        let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
        let submission: Submission
        switch SubmissionValidator.validate(body, door: .native) {
        case .success(let valid): submission = valid
        case .failure(let error): throw APIError.badRequest(error.message, field: error.field)
        }
        let application = dependencies.application
        switch try await application.submit(submission, key: SubmitKey(key: key, bodyHash: Fingerprint.sha256Hex(body)), api: "native", trace: trace) {
        case .accepted(let created, let answer):
            // `Prefer: wait=N` (SPEC §12): the decision itself when it comes in time, else the usual 202.
            if let asked = PreferWait.seconds(in: request.headers) {
                let wait = min(asked, application.policy.maxWaitSec)
                let decided = try await application.awaitDecision(of: created, upTo: wait)
                if decided.state.isResolved {
                    return JSONResponse.make(status: .ok, DecisionView(decided), headers: [.preferenceApplied: "wait=\(wait)"])
                }
            }
            return JSONResponse.raw(status: .accepted, answer)
        case .replayed(let status, let body):
            return JSONResponse.raw(status: .init(code: status), body, headers: [.idempotentReplayed: "true"])
        case .correlationIdTaken(let existing):
            throw APIError(.conflict, code: "correlation_id_taken",
                           "correlation_id \(existing.correlationId) already belongs to request \(existing.id); use a new correlation_id",
                           field: "correlation_id")
        }
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
