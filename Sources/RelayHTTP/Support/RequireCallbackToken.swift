import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery

/// The shared callback token (SPEC §5): `X-Codex-MCP-Token`, else `Authorization: Bearer`, compared in
/// constant time. Without a configured token the shared-token paths refuse every call.
struct RequireCallbackToken: RouterMiddleware {
    typealias Context = RelayRequestContext
    let token: String?
    let guardrail: CredentialGuard

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, !token.isEmpty else {
            throw APIError.unauthorized(realm: "callback", "the shared-token callback paths are disabled: no callback token is configured (set RELAY_CALLBACK_TOKEN)")
        }
        let header = request.headers[.codexMCPToken].map { $0.trimmingCharacters(in: .whitespaces) }
        let presented = header.flatMap { $0.isEmpty ? nil : $0 } ?? BearerToken.from(request.headers[.authorization])
        guard let presented, ConstantTime.equals(presented, token) else {
            try await guardrail.failed(context, APIError.unauthorized(
                realm: "callback", "missing or wrong callback token (X-Codex-MCP-Token, or Authorization: Bearer <token>)"
            ))
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let codexMCPToken = Self("X-Codex-MCP-Token")!
}
