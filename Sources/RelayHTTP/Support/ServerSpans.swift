import Foundation
import HTTPTypes
import Hummingbird
import RelayCore
import RelayDelivery
import Tracing

extension HTTPField.Name {
    static let traceparent = Self("traceparent")!
    static let tracestate = Self("tracestate")!
}

extension HTTPFields {
    /// The caller's W3C trace context, when well-formed (a malformed one starts a new trace: never a refusal).
    var traceHeaders: TraceHeaders? {
        TraceHeaders(traceparent: self[.traceparent], tracestate: self[.tracestate])
    }
}

extension RelayDependencies {
    /// A submit through any door in its server span, which continues the caller's trace (SPEC §14); `body` gets the
    /// span's context, which is stored with the request.
    func submitSpan<T>(_ request: Request, route: String, _ body: (TraceHeaders?) async throws -> T) async rethrows -> T {
        try await tracing.span("submit", parent: request.headers.traceHeaders, kind: .server,
                               attributes: ["http.request.method": "POST", "http.route": route]) { trace, _ in
            try await body(trace)
        }
    }
}
