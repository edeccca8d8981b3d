import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery

/// Lets a request through only with `Authorization: Bearer <token>` of an API it accepts (most routes accept
/// one; cancel and the decision wait accept the submit token or the admin token), and tells the route which
/// one it was. An API whose token is not configured accepts nothing, so the relay never runs open by accident.
struct RequireToken: RouterMiddleware {
    typealias Context = RelayRequestContext

    struct Credential: Sendable {
        /// The API's name in error messages and in `context.caller` (`admin`, `submit`).
        var api: String
        /// The setting that configures it, named in the error so the fix is obvious.
        var setting: String
        var token: String?
    }

    let accepted: [Credential]
    let guardrail: CredentialGuard

    init(api: String, setting: String, token: String?, guardrail: CredentialGuard) {
        self.init(accepting: [Credential(api: api, setting: setting, token: token)], guardrail: guardrail)
    }

    init(accepting accepted: [Credential], guardrail: CredentialGuard) {
        self.accepted = accepted
        self.guardrail = guardrail
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let configured = accepted.filter { !($0.token ?? "").isEmpty }
        let names = accepted.map(\.api).joined(separator: " or ")
        guard !configured.isEmpty else {
            let settings = accepted.map(\.setting).joined(separator: " or ")
            throw APIError.unauthorized(realm: accepted[0].api, "the \(names) API is disabled: no \(names) token is configured (set \(settings))")
        }
        let presented = BearerToken.from(request.headers[.authorization])
        // Every configured token is compared, so the time taken does not tell which one came close.
        let matched = configured.filter { credential in presented.map { ConstantTime.equals($0, credential.token!) } ?? false }
        guard let credential = matched.first else {
            try await guardrail.failed(context, APIError.unauthorized(
                realm: accepted[0].api, "missing or wrong bearer token for the \(names) API (Authorization: Bearer <token>)"
            ))
        }
        var context = context
        context.caller = credential.api
        return try await next(request, context)
    }
}

extension RelayDependencies {
    var credentialGuard: CredentialGuard { CredentialGuard(throttle: throttle, clock: clock) }
}

/// Answers a failed credential through the throttle: after its delay, or as 429 once the client has failed too often.
struct CredentialGuard: Sendable {
    let throttle: FailureThrottle
    let clock: any RelayClock

    func failed(_ context: RelayRequestContext, _ error: APIError) async throws -> Never {
        context.logger.notice("credentials refused", metadata: [
            "client": "\(context.clientKey)", "outcome": "\(error.code)", "status": "\(error.status.code)",
        ])
        switch throttle.failed(context.clientKey, now: clock.now()) {
        case .delay(let delay):
            try? await Task.sleep(for: delay)
            throw error
        case .refuse(let retryAfter):
            context.logger.warning("credentials refused: too many failures from this client", metadata: [
                "client": "\(context.clientKey)", "retry_after_sec": "\(retryAfter)",
            ])
            throw APIError.tooManyFailures(retryAfter: retryAfter)
        }
    }
}

extension APIError {
    /// 429: this client failed its credentials too often; nothing it sends is checked until `retryAfter`.
    static func tooManyFailures(retryAfter: Int) -> APIError {
        var error = APIError(.tooManyRequests, code: "too_many_failures",
                             "too many failed credentials from this address; wait \(retryAfter) s (Retry-After) and check the token you send")
        error.headers[.retryAfter] = String(retryAfter)
        return error
    }

    /// 401 with the `WWW-Authenticate` challenge of `realm`.
    static func unauthorized(realm: String, _ message: String) -> APIError {
        var error = APIError(.unauthorized, code: "unauthorized", message)
        error.headers[.wwwAuthenticate] = "Bearer realm=\"\(realm)\""
        return error
    }
}

/// Reads the token of an `Authorization: Bearer …` header.
enum BearerToken {
    static func from(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }
}
