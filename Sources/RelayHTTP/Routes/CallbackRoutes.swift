import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery
import RelayStore

/// The callback paths of SPEC §5: the per-request capability URL, the shared-token contract-A webhooks,
/// and the contract-B (codex-k8s) callbacks. Every decision takes one path: normalize, then the store
/// applies the transition table and commits the forwards before the answer.
struct CallbackRoutes {
    let dependencies: RelayDependencies

    func registerCapability(on router: RouterGroup<RelayRequestContext>) {
        router.post("/callbacks/:token") { request, context in
            let token = try context.parameters.require("token")
            let lookup = RequestLookup.callbackTokenHash(CapabilityToken.hash(token))
            let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
            guard let target = try await dependencies.store.request(lookup) else {
                // An unknown capability is a wrong guess at one: throttled like a wrong token.
                context.logger.warning("callback refused: unknown callback URL", metadata: [
                    "path": "capability", "outcome": "unknown", "client": "\(context.clientKey)",
                ])
                try await dependencies.credentialGuard.failed(context, APIError.notFound("no request for this callback URL"))
            }
            let (incoming, correlationId) = try CallbackBodies.contractA(body, kind: target.kind, correlationRequired: false)
            if let correlationId, correlationId != target.correlationId {
                throw APIError.badRequest("correlation_id does not match the request of this callback URL", field: "correlation_id")
            }
            return try await decide(.id(target.id), incoming, via: "capability", body: body, logger: context.logger)
        }
    }

    func registerShared(on group: RouterGroup<RelayRequestContext>) {
        for (path, kind) in [("/approvals/webhook", RequestKind.approval), ("/executors/webhook", .execution)] {
            group.post(RouterPath(stringLiteral: path)) { request, context in
                let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
                let (incoming, correlationId) = try CallbackBodies.contractA(body, kind: kind, correlationRequired: true)
                return try await decide(.correlationId(correlationId!, kind: kind), incoming, via: "contract-a", body: body, logger: context.logger)
            }
        }
        for path in ["/api/v1/mcp/approver/callback", "/api/v1/mcp/executor/callback"] {
            group.post(RouterPath(stringLiteral: path)) { request, context in
                let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
                let (incoming, lookup) = try CallbackBodies.contractB(body)
                return try await decide(lookup, incoming, via: "contract-b", body: body, logger: context.logger)
            }
        }
    }

    /// One path for every decision: the application normalizes it, the store applies it, and the answer says
    /// whether it moved the request or repeated an earlier decision.
    func decide(_ lookup: RequestLookup, _ incoming: IncomingDecision, via path: String, body: Data, logger: Logger) async throws -> Response {
        switch try await dependencies.application.decide(lookup, incoming, via: path, body: body) {
        case .moved(let request):
            return JSONResponse.make(status: .ok, CallbackAnswer(request, duplicate: false))
        case .duplicate(let request):
            // The same header as a replayed submit: the answer repeats an earlier outcome, nothing changed.
            return JSONResponse.make(status: .ok, CallbackAnswer(request, duplicate: true), headers: [.idempotentReplayed: "true"])
        case .refused, .notFound:
            throw APIError(.internalServerError, code: "internal_error", "the decision was refused without a reason")
        }
    }

    struct CallbackAnswer: Encodable {
        var id: String
        var correlationId: String
        var approvalRequestId: Int64?
        var state: String
        var duplicate: Bool

        init(_ request: RelayRequest, duplicate: Bool) {
            id = request.id
            correlationId = request.correlationId
            approvalRequestId = request.approvalRequestId
            state = request.state.rawValue
            self.duplicate = duplicate
        }
    }
}

/// Parsing of callback bodies, each refusal naming its field.
enum CallbackBodies {
    /// Contract A: `{"correlation_id","decision","reason","tool"}` or `{"correlation_id","status","result","tool"}`.
    static func contractA(_ body: Data, kind: RequestKind, correlationRequired: Bool) throws -> (IncomingDecision, String?) {
        guard let value = JSONValue.parse(body) else { throw APIError.badRequest("the body is not valid JSON", field: nil) }
        guard let object = value.objectValue else { throw APIError.badRequest("the body must be a JSON object", field: nil) }
        var correlationId: String?
        switch object["correlation_id"] {
        case nil, .null?:
            if correlationRequired { throw APIError.badRequest("correlation_id is required", field: "correlation_id") }
        case .string(let text)? where !text.isEmpty:
            correlationId = text
        default:
            throw APIError.badRequest("correlation_id must be a non-empty string", field: "correlation_id")
        }
        switch kind {
        case .approval:
            guard let decision = object["decision"]?.stringValue, !decision.isEmpty else {
                throw APIError.badRequest("decision is required: approve, deny or error", field: "decision")
            }
            let reason = try optionalString(object, "reason")
            return (.approver(decision: decision, reason: reason), correlationId)
        case .execution:
            guard let status = object["status"]?.stringValue, !status.isEmpty else {
                throw APIError.badRequest("status is required: success or error", field: "status")
            }
            return (.executor(status: status, result: object["result"]), correlationId)
        }
    }

    /// Contract B: `{"approval_request_id", "decision", "reason"?, "actor_id"?}`; `correlation_id` may stand in
    /// for `approval_request_id`. Unknown fields are refused, as codex-k8s does.
    static func contractB(_ body: Data) throws -> (IncomingDecision, RequestLookup) {
        guard let value = JSONValue.parse(body) else { throw APIError.badRequest("the body is not valid JSON", field: "body") }
        guard let object = value.objectValue else { throw APIError.badRequest("the body must be a JSON object", field: "body") }
        let known: Set<String> = ["approval_request_id", "correlation_id", "decision", "reason", "actor_id"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.badRequest("unknown field \(unknown)", field: unknown)
        }
        let correlation = try optionalString(object, "correlation_id")
        let lookup: RequestLookup
        switch object["approval_request_id"] {
        case nil, .null?:
            guard let correlationId = correlation, !correlationId.isEmpty else {
                throw APIError.badRequest("approval_request_id is required (a positive int64), or correlation_id", field: "approval_request_id")
            }
            lookup = .correlationId(correlationId, kind: nil)
        case let value?:
            guard let id = value.int64Value, id > 0 else {
                throw APIError.badRequest("approval_request_id must be a positive int64", field: "approval_request_id")
            }
            lookup = .approvalRequestId(id)
        }
        guard let decision = object["decision"]?.stringValue, !decision.isEmpty else {
            throw APIError.badRequest("decision is required: approved, denied, expired, failed or applied", field: "decision")
        }
        return (.codex(decision: decision, reason: try optionalString(object, "reason"), actor: try optionalString(object, "actor_id")), lookup)
    }

    private static func optionalString(_ object: [String: JSONValue], _ field: String) throws -> String? {
        switch object[field] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw APIError.badRequest("\(field) must be a string", field: field)
        }
    }
}
