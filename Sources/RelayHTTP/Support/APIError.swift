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

extension APIError {
    /// The one mapping of any error to what the HTTP surface answers: the error shape, the drop-in doors'
    /// adapter shape and the callback metrics all read their status from it.
    static func shaping(_ error: any Error, for request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as RelayError:
            return APIError(error)
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, code: "body_too_large", "the body is larger than the relay accepts (the limit is the setting max_body_bytes, RELAY_MAX_BODY_BYTES)")
        case StoreError.unavailable(let message):
            var shaped = APIError(.serviceUnavailable, code: "store_unavailable", message)
            shaped.headers[.retryAfter] = "5"
            return shaped
        case let error as any HTTPResponseError:
            let code = error.status == .notFound ? "not_found" : error.status == .methodNotAllowed ? "method_not_allowed" : "http_\(error.status.code)"
            let message = error.status == .notFound ? "no route for \(request.method) \(LogSafe.path(request.uri.path))" : error.status.reasonPhrase
            return APIError(error.status, code: code, message)
        default:
            return APIError(.internalServerError, code: "internal_error", "the relay failed to handle this request; see its log")
        }
    }
}

/// Turns every error into the `APIError` shape, so no route answers with another error body.
struct ErrorShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let shaped = APIError.shaping(error, for: request)
            ErrorLog.record(error, shaped: shaped, path: request.uri.path, logger: context.logger)
            return try shaped.response(from: request, context: context)
        }
    }
}

/// What the log says of an error answer: the store being away, and anything the relay did not expect.
enum ErrorLog {
    static func record(_ error: any Error, shaped: APIError, path: String, logger: Logger) {
        switch shaped.code {
        case "store_unavailable": logger.warning("store unavailable", metadata: ["path": "\(LogSafe.path(path))"])
        case "internal_error": logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(LogSafe.path(path))"])
        default: break
        }
    }
}

/// Paths as they may appear in logs and error bodies: a capability URL's token is never written out.
enum LogSafe {
    static func path(_ path: String) -> String {
        path.hasPrefix("/callbacks/") ? "/callbacks/<token>" : path
    }
}
