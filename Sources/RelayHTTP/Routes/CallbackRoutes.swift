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
            return try await decide(.id(target.id), decision, source: .callback(door: "capability", endpoint: holder.endpoint, body: body))
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
                    return try await decide(lookup, decision, source: .callback(door: contract.door, body: body))
                }
            }
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
