import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayContracts
import RelayCore
import RelayDelivery
import RelayStore

/// `POST /approve` and `POST /execute`: the relay as a drop-in approver / executor for yaml-mcp-server
/// (SPEC §3.2). It answers as an async adapter does, in the adapters' own body shapes.
struct DropInRoutes {
    let dependencies: RelayDependencies

    func register(on group: RouterGroup<RelayRequestContext>) {
        group.post("/approve") { request, context in await door(request, context, kind: .approval, path: "/approve") }
        group.post("/execute") { request, context in await door(request, context, kind: .execution, path: "/execute") }
    }

    /// A drop-in submit in its server span, which continues the caller's trace (SPEC §14).
    func door(_ request: Request, _ context: RelayRequestContext, kind: RequestKind, path: String) async -> Response {
        await dependencies.submitSpan(request, route: path) { trace in
            await respond(request, context.logger, kind: kind) { try await accept(request, kind: kind, trace: trace) }
        }
    }

    /// Every failure in the adapter's shape: `{"decision":"error","reason"}` / `{"status":"error","result"}`.
    /// The status is the one every route answers (`APIError.shaping`); only the body is the adapters'.
    func respond(_ request: Request, _ logger: Logger, kind: RequestKind, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            let shaped = APIError.shaping(error, for: request)
            ErrorLog.record(error, shaped: shaped, path: request.uri.path, logger: logger)
            let message = shaped.status == .internalServerError ? DropIn.internalFailure(kind: kind) : shaped.message
            var answer = AdapterAnswer.error(kind: kind, status: shaped.status, message)
            answer.headers.append(contentsOf: shaped.headers)
            return answer
        }
    }

    func accept(_ request: Request, kind: RequestKind, trace: TraceHeaders?) async throws -> Response {
        let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
        let submission: Submission
        switch SubmissionValidator.validate(body, door: .dropIn(kind)) {
        case .success(let valid): submission = valid
        case .failure(let error): throw APIError.badRequest(error.message, field: error.field)
        }
        // The adapters' own refusal of a submit without callback.url: 400 in their shape (the native door's is 422 no_sink).
        guard dependencies.routing.planner.hasSink(ForwardTarget(callbackURL: submission.callbackURL)) else {
            throw APIError.badRequest("callback.url is required for async \(kind == .approval ? "approval" : "execution")", field: "callback.url")
        }
        switch try await dependencies.application.submit(submission, key: nil, api: "drop-in", trace: trace) {
        case .accepted(let created, _):
            return AdapterAnswer.pending(kind: kind, correlationId: created.correlationId)
        case .correlationIdTaken(let existing) where existing.kind != kind:
            throw APIError(.conflict, code: "correlation_id_taken", "correlation_id \(existing.correlationId) belongs to an \(existing.kind.rawValue) request")
        case .correlationIdTaken(let existing) where existing.state == .requested:
            // A repeat while the request is open: the same answer, nothing new delivered.
            return AdapterAnswer.pending(kind: kind, correlationId: existing.correlationId)
        case .correlationIdTaken(let existing):
            // Already decided: answer as a synchronous adapter would, with the decision (SPEC §6.1 mapping).
            return JSONResponse.make(status: .ok, DropIn.decided(existing))
        case .replayed:
            throw APIError(.internalServerError, code: "internal_error", "unexpected idempotency outcome")
        }
    }
}

/// The reference adapters' answer bodies (`DropIn`), as responses.
enum AdapterAnswer {
    static func pending(kind: RequestKind, correlationId: String) -> Response {
        JSONResponse.make(status: .accepted, DropIn.pending(kind: kind, correlationId: correlationId))
    }

    static func error(kind: RequestKind, status: HTTPResponse.Status, _ message: String) -> Response {
        JSONResponse.make(status: status, DropIn.error(kind: kind, message))
    }
}
