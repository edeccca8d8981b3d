import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery

/// Lets a request through only with `Authorization: Bearer <token>` for this API; an API whose token
/// is not configured refuses every call, so the relay never runs open by accident.
struct RequireToken: RouterMiddleware {
    typealias Context = RelayRequestContext
    /// The API's name in error messages (`admin`, `submit`).
    let api: String
    /// The setting that configures it, named in the error so the fix is obvious.
    let setting: String
    let token: String?
    let guardrail: CredentialGuard

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, !token.isEmpty else {
            throw APIError.unauthorized(realm: api, "the \(api) API is disabled: no \(api) token is configured (set \(setting))")
        }
        guard let presented = BearerToken.from(request.headers[.authorization]),
              ConstantTime.equals(presented, token) else {
            try await guardrail.failed(context, APIError.unauthorized(
                realm: api, "missing or wrong bearer token for the \(api) API (Authorization: Bearer <token>)"
            ))
        }
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
