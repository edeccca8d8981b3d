import Foundation
import RelayCore
import Tracing

/// The relay's spans (SPEC §14), made with the tracer the relay was built with — an OTLP exporter's when `OTEL_*`
/// asks for one, otherwise one that records nothing. Parents come from the trace headers stored with a request and
/// its messages, so a step hours later joins its request's trace; and what is stored and sent is the current span's
/// context, or, with tracing off, the caller's headers passed through unchanged.
public struct RelayTracing: Sendable {
    public var tracer: any Tracer
    /// False when spans go nowhere: then no span is made at all, and headers pass through.
    public var enabled: Bool

    public init(tracer: any Tracer, enabled: Bool) {
        self.tracer = tracer
        self.enabled = enabled
    }

    public static let off = RelayTracing(tracer: NoOpTracer(), enabled: false)

    /// `body` in a span named `name` whose parent is `parent` (none: a new trace), handed the headers of the span to
    /// store and send on — or, with tracing off, run plainly with `parent` as those headers.
    public func span<T>(_ name: String, parent: TraceHeaders?, kind: SpanKind, attributes: [String: String] = [:],
                        _ body: (TraceHeaders?, (any Span)?) async throws -> T) async rethrows -> T {
        guard enabled else { return try await body(parent, nil) }
        var context = ServiceContext.topLevel
        if let parent {
            var carrier = ["traceparent": parent.traceparent]
            carrier["tracestate"] = parent.tracestate
            tracer.extract(carrier, into: &context, using: DictionaryExtractor())
        }
        return try await tracer.withSpan(name, context: context, ofKind: kind) { span in
            for (key, value) in attributes { span.attributes[key] = value }
            var carrier: [String: String] = [:]
            tracer.inject(span.context, into: &carrier, using: DictionaryInjector())
            return try await body(TraceHeaders(traceparent: carrier["traceparent"], tracestate: carrier["tracestate"]) ?? parent, span)
        }
    }
}

private struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

private struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}
