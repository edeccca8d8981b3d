import HTTPTypes
import Hummingbird
import RelayApplication
import RelayDelivery

/// Counts every callback by how it ended, read from the answer it got: one place maps answers to the
/// outcomes of `relay_callbacks_total`, whichever check refused the call.
struct CallbackMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RelayMetrics
    let path: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.callback(Self.outcome(status: response.status, replayed: response.headers[.idempotentReplayed] == "true"), via: path)
            return response
        } catch {
            metrics.callback(Self.outcome(status: APIError.shaping(error, for: request).status, replayed: false), via: path)
            throw error
        }
    }

    static func outcome(status: HTTPResponse.Status, replayed: Bool) -> RelayMetrics.CallbackOutcome {
        switch status.code {
        case 200..<300: replayed ? .duplicate : .applied
        case 401, 403: .unauthorized
        case 404: .unknownRequest
        case 429: .throttled
        case 409: .refused
        case 400..<500: .invalid
        default: .error
        }
    }
}
