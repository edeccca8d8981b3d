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
import Tracing

/// The callback paths of SPEC §5: the per-request capability URL, and the paths of every registered callback
/// contract behind the shared token. Each contract reads its bodies into a decision; every decision then
/// takes one path, the application's, and the store commits its forwards before the answer.
struct CallbackRoutes {
    let dependencies: RelayDependencies

    func registerCapability(on router: RouterGroup<RelayRequestContext>) {
        router.post("/callbacks/:token") { request, context in
            let token = try context.parameters.require("token")
            let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
            guard let holder = try await dependencies.application.capability(token: token) else {
                // An unknown capability is a wrong guess at one: throttled like a wrong token.
                context.logger.warning("callback refused: unknown callback URL", metadata: [
                    "path": "capability", "outcome": "unknown", "client": "\(context.clientKey)",
                ])
                try await dependencies.credentialGuard.failed(context, APIError.notFound("no request for this callback URL"))
            }
            let target = holder.request
            // A capability URL is handed to contract-A adapters; it names its request (and the delivery's endpoint), so
            // the correlation id may be left out.
            let (decision, correlationId) = try Self.reading { () throws(DecisionError) in
                try ContractA.read(body, kind: target.kind, correlationRequired: false)
            }
            if let correlationId, correlationId != target.correlationId {
                throw APIError.badRequest("correlation_id does not match the request of this callback URL", field: "correlation_id")
            }
            return try await traced(request, request: target, door: "capability") { trace in
                try await decide(.id(target.id), decision, source: .callback(door: "capability", endpoint: holder.endpoint, body: body, trace: trace))
            }
        }
    }

    /// Every registered callback contract's paths, behind the shared callback token.
    func registerShared(on group: RouterGroup<RelayRequestContext>) {
        for contract in dependencies.callbackContracts {
            for (path, kind) in contract.paths {
                group.post(RouterPath(stringLiteral: path)) { request, _ in
                    let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
                    let (decision, key) = try Self.reading { () throws(DecisionError) in try contract.read(body, kind: kind) }
                    let lookup: RequestLookup = switch key {
                    case .correlationId(let id, let kind): .correlationId(id, kind: kind)
                    case .approvalRequestId(let id): .approvalRequestId(id)
                    }
                    // The request's own trace is its span's parent: read it only when spans are made.
                    let named = dependencies.tracing.enabled ? try await dependencies.store.request(lookup) : nil
                    return try await traced(request, request: named, door: contract.door) { trace in
                        try await decide(lookup, decision, source: .callback(door: contract.door, body: body, trace: trace))
                    }
                }
            }
        }
    }

    /// A callback in its server span (SPEC §14): a child of the adapter's span when the callback carries one of the
    /// request's own trace, else of the request's stored context, so the human's answer joins the submit's trace
    /// however much later it comes. Its forwards are the span's children.
    func traced(_ request: Request, request target: RelayRequest?, door: String,
                _ body: (TraceHeaders?) async throws -> Response) async throws -> Response {
        let incoming = request.headers.traceHeaders
        let parent: TraceHeaders?
        if let target {
            parent = incoming.flatMap { $0.traceID == target.trace?.traceID ? $0 : nil } ?? target.trace ?? incoming
        } else {
            // Not read (tracing off): the decision's forwards take the request's own trace in the store.
            parent = dependencies.tracing.enabled ? incoming : nil
        }
        return try await dependencies.tracing.span("callback", parent: parent, kind: .server, attributes: [
            "http.request.method": "POST", "relay.door": door, "relay.request_id": target?.id ?? "",
        ]) { trace, _ in
            try await body(trace)
        }
    }

    /// A contract's refusal of a body, as the 400 naming the field.
    static func reading<T>(_ read: () throws(DecisionError) -> T) throws(APIError) -> T {
        do {
            return try read()
        } catch {
            throw APIError.badRequest(error.message, field: error.field)
        }
    }

    /// One path for every decision: the application normalizes it, the store applies it, and the answer says
    /// whether it moved the request or repeated an earlier decision.
    func decide(_ lookup: RequestLookup, _ decision: NormalizedDecision, source: DecisionSource) async throws -> Response {
        switch try await dependencies.application.decide(lookup, decision, source: source) {
        case .moved(let request):
            return JSONResponse.make(status: .ok, CallbackAnswer(request, duplicate: false))
        case .voted(let request, let approvals, let needed):
            return JSONResponse.make(status: .ok, CallbackAnswer(request, duplicate: false, votes: .init(approvals: approvals, needed: needed)))
        case .duplicate(let request):
            // The same header as a replayed submit: the answer repeats an earlier outcome, nothing changed.
            return JSONResponse.make(status: .ok, CallbackAnswer(request, duplicate: true), headers: [.idempotentReplayed: "true"])
        case .refused, .voteRefused, .notFound:
            throw APIError(.internalServerError, code: "internal_error", "the decision was refused without a reason")
        }
    }

    struct CallbackAnswer: Encodable {
        var id: String
        var correlationId: String
        var approvalRequestId: Int64?
        var state: String
        var duplicate: Bool
        /// On a request that needs several approvals, while its quorum is not met: the approvals so far.
        var votes: Votes?

        struct Votes: Encodable {
            var approvals: Int
            var needed: Int
        }

        init(_ request: RelayRequest, duplicate: Bool, votes: Votes? = nil) {
            id = request.id
            correlationId = request.correlationId
            approvalRequestId = request.approvalRequestId
            state = request.state.rawValue
            self.duplicate = duplicate
            self.votes = votes
        }
    }
}
