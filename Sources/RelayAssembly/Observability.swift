import Foundation
import Logging
import OTel
import RelayDelivery
import ServiceLifecycle
import Tracing

/// OpenTelemetry for `serve` (SPEC §14): spans exported over OTLP/HTTP, configured by the standard `OTEL_*`
/// variables and off unless they ask for it — swift-otel exports to localhost:4318 by default, so the relay decides.
/// Values the exporter cannot honour (gRPC, propagators other than W3C trace context, remote samplers) stop the
/// start naming the variable, instead of crashing it later.
public enum Observability {
    /// Tracing as the environment asks for it: the relay's tracer, and the exporter's service to run (nil when off).
    public static func tracing(environment: [String: String], logger: Logger) throws -> (RelayTracing, (any Service)?) {
        guard try enabled(environment) else { return (.off, nil) }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "webhook-relay"
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return (RelayTracing(tracer: backend.factory, enabled: true), backend.service)
    }

    /// Puts the current span's trace and span ids into every log line made inside it.
    public static func loggingMetadataProvider() -> Logger.MetadataProvider {
        OTel.makeLoggingMetadataProvider()
    }

    /// On when an OTLP exporter is named or given an endpoint, unless `OTEL_SDK_DISABLED` or `OTEL_TRACES_EXPORTER=none`
    /// says otherwise.
    public static func enabled(_ environment: [String: String]) throws -> Bool {
        func value(_ name: String) -> String? {
            environment[name].map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if value("OTEL_SDK_DISABLED") == "true" { return false }
        let exporter = value("OTEL_TRACES_EXPORTER")
        if exporter == "none" { return false }
        if let exporter, exporter != "otlp" {
            throw ConfigurationError("OTEL_TRACES_EXPORTER=\(exporter) is not supported: the relay exports traces over OTLP (otlp), or not at all (none)")
        }
        guard exporter == "otlp" || value("OTEL_EXPORTER_OTLP_ENDPOINT") != nil || value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != nil else {
            return false
        }
        for name in ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] {
            if let proto = value(name), proto != "http/protobuf", proto != "http/json" {
                throw ConfigurationError("\(name)=\(proto) is not supported: the relay exports over OTLP/HTTP (http/protobuf or http/json)")
            }
        }
        if let propagators = value("OTEL_PROPAGATORS"), propagators.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) != "tracecontext" }) {
            throw ConfigurationError("OTEL_PROPAGATORS=\(propagators) is not supported: the relay propagates W3C trace context (tracecontext) only")
        }
        if let sampler = value("OTEL_TRACES_SAMPLER"), !["always_on", "always_off", "traceidratio", "parentbased_always_on",
                                                         "parentbased_always_off", "parentbased_traceidratio"].contains(sampler) {
            throw ConfigurationError("OTEL_TRACES_SAMPLER=\(sampler) is not supported: use always_on, always_off, traceidratio or their parentbased_ forms")
        }
        return true
    }
}
