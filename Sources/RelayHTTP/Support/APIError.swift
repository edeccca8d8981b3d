import Foundation
import HTTPTypes
import Hummingbird
import RelayApplication
import RelayStore
import Logging
import NIOCore
import RelayDelivery

/// The one error the HTTP surface answers with: `{"code", "message", "field"?}`.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?
    /// A request's current state, on refusals of the state machine.
    public var state: String?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    /// A malformed input, naming the field at fault.
    public static func badRequest(_ message: String, field: String?) -> APIError {
        APIError(.badRequest, code: "invalid_request", message, field: field)
    }

    public static func notFound(_ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message)
    }

    /// A use case's refusal, as the HTTP surface answers it.
    public init(_ error: RelayError) {
        let status: HTTPResponse.Status = switch error.kind {
        case .invalid: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .refused: .unprocessableContent
        }
        self.init(status, code: error.code, error.message, field: error.field)
        state = error.state
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(status: status, Body(code: code, message: message, field: field, state: state))
        response.headers.append(contentsOf: headers)
        return response
    }

    struct Body: Encodable {
        var code: String
        var message: String
        var field: String?
        var state: String?
    }
}

/// Turns every error into the `APIError` shape, so no route answers with another error body.
struct ErrorShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as RelayError {
            return try APIError(error).response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIError(.contentTooLarge, code: "body_too_large", "the body is larger than the relay accepts (the limit is the setting max_body_bytes, RELAY_MAX_BODY_BYTES)")
                .response(from: request, context: context)
        } catch StoreError.unavailable(let message) {
            context.logger.warning("store unavailable", metadata: ["path": "\(LogSafe.path(request.uri.path))"])
            var error = APIError(.serviceUnavailable, code: "store_unavailable", message)
            error.headers[.retryAfter] = "5"
            return try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let code = error.status == .notFound ? "not_found" : error.status == .methodNotAllowed ? "method_not_allowed" : "http_\(error.status.code)"
            let message = error.status == .notFound ? "no route for \(request.method) \(LogSafe.path(request.uri.path))" : error.status.reasonPhrase
            return try APIError(error.status, code: code, message).response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(LogSafe.path(request.uri.path))"])
            return try APIError(.internalServerError, code: "internal_error", "the relay failed to handle this request; see its log")
                .response(from: request, context: context)
        }
    }
}

/// Paths as they may appear in logs and error bodies: a capability URL's token is never written out.
enum LogSafe {
    static func path(_ path: String) -> String {
        path.hasPrefix("/callbacks/") ? "/callbacks/<token>" : path
    }
}
