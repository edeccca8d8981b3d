import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayCore
import RelayDelivery

/// Lets a request through only with `Authorization: Bearer <token>` for this API; an API whose token
/// is not configured refuses every call, so the relay never runs open by accident.
struct RequireToken<Context: RequestContext>: RouterMiddleware {
    /// The API's name in error messages (`admin`, `submit`).
    let api: String
    /// The setting that configures it, named in the error so the fix is obvious.
    let setting: String
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, !token.isEmpty else {
            throw APIError.unauthorized(realm: api, "the \(api) API is disabled: no \(api) token is configured (set \(setting))")
        }
        guard let presented = BearerToken.from(request.headers[.authorization]),
              ConstantTime.equals(presented, token) else {
            throw APIError.unauthorized(realm: api, "missing or wrong bearer token for the \(api) API (Authorization: Bearer <token>)")
        }
        return try await next(request, context)
    }
}

extension APIError {
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
