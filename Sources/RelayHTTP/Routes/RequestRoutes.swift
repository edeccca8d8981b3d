import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery
import RelayStore

/// The requests: their list and timelines (admin), and what whoever asked may do too — cancel one, wait for its
/// decision (SPEC §12).
struct RequestRoutes {
    let dependencies: RelayDependencies

    var application: RelayApplication { dependencies.application }

    /// `GET /api/v1/requests` and `GET /api/v1/requests/{id or correlation_id}`.
    func register(on group: RouterGroup<RelayRequestContext>) {
        group.get("/requests") { request, _ in
            let parameters = request.uri.queryParameters
            try parameters.requireKnown(RequestFilter.names + ["cursor", "limit"])
            let page = try await application.requests(try Self.listQuery { parameters.get($0) })
            return JSONResponse.make(status: .ok, RequestPageView(page))
        }
        group.get("/requests/:request") { _, context in
            let key = try context.parameters.require("request")
            return JSONResponse.make(status: .ok, TimelineView(try await application.timeline(key)))
        }
    }

    /// `POST /api/v1/requests/{id}/cancel` and `GET /api/v1/requests/{id}/decision?wait=`.
    func registerLifecycle(on group: RouterGroup<RelayRequestContext>) {
        group.post("/requests/:request/cancel") { request, context in
            let key = try context.parameters.require("request")
            let reason = try await cancelReason(request)
            let path: DecisionPath = context.caller == "admin" ? .admin : .submitter
            switch try await application.cancel(key, reason: reason, by: path, actor: path == .admin ? "admin" : "submitter") {
            case .moved(let cancelled):
                return JSONResponse.make(status: .ok, CancelAnswer(cancelled, duplicate: false))
            case .duplicate(let cancelled):
                return JSONResponse.make(status: .ok, CancelAnswer(cancelled, duplicate: true), headers: [.idempotentReplayed: "true"])
            default:
                throw APIError(.internalServerError, code: "internal_error", "the cancel was refused without a reason")
            }
        }
        group.get("/requests/:request/decision") { request, context in
            let key = try context.parameters.require("request")
            let wait = try Self.seconds(request.uri.queryParameters.get("wait"), field: "wait") ?? 0
            return JSONResponse.make(status: .ok, DecisionView(try await application.awaitDecision(key, upTo: wait)))
        }
    }

    /// The optional `{"reason"}` of a cancel; an empty body is no reason.
    func cancelReason(_ request: Request) async throws -> String? {
        let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
        guard !body.isEmpty else { return nil }
        var reader = try FieldReader(body)
        let reason = try reader.string("reason")
        try reader.rejectUnknown()
        return reason
    }

    static func listQuery(_ value: (String) -> String?) throws -> RequestListQuery {
        var query = try RequestFilter.make(state: value("state"), kind: value("kind"), endpoint: value("endpoint"),
                                           since: value("since"), until: value("until"))
        query.cursor = try Paging.cursor(value("cursor"))
        query.limit = try Paging.limit(value("limit")) ?? query.limit
        return query
    }

    /// A whole number of seconds, or nil when not given; anything else is a 400 naming `field`.
    static func seconds(_ text: String?, field: String) throws -> Int? {
        guard let text, !text.isEmpty else { return nil }
        guard let seconds = Int(text), seconds >= 0 else {
            throw APIError.badRequest("\(field) must be a whole number of seconds", field: field)
        }
        return seconds
    }
}
