import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import RelayApplication
import RelayContracts
import RelayCore
import RelayDelivery
import RelayStore

/// Everything a route needs, built once at start-up: the use cases, and what only the HTTP surface knows.
public struct RelayDependencies: Sendable {
    public var application: RelayApplication
    public var settings: RelaySettings
    /// The registry `/metrics` renders the relay's series from (the application records into it).
    public var metricsRegistry: PrometheusCollectorRegistry
    /// Failed credentials per client address, on every door.
    public var throttle: FailureThrottle
    /// The callback doors behind the shared callback token.
    public var callbackContracts: [any CallbackContract]
    /// The submit's and the callbacks' server spans (SPEC §14).
    public var tracing: RelayTracing

    public init(application: RelayApplication, settings: RelaySettings, metricsRegistry: PrometheusCollectorRegistry,
                throttle: FailureThrottle = FailureThrottle(), callbackContracts: [any CallbackContract] = Contracts.callbacks,
                tracing: RelayTracing = .off) {
        self.callbackContracts = callbackContracts
        self.tracing = tracing
        self.application = application
        self.settings = settings
        self.metricsRegistry = metricsRegistry
        self.throttle = throttle
    }

    public var store: any RelayStore { application.store }
    public var clock: any RelayClock { application.clock }
    public var wake: WakeSignal { application.wake }
    public var routing: DeliveryRouting { application.routing }
    public var metrics: RelayMetrics { application.metrics }

    /// The swift-metrics factory over `registry`, with the delivery-latency buckets long enough for retries.
    public static func metricsFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[RelayMetrics.Name.deliveryLatency] = RelayMetrics.deliveryLatencyBuckets
        return factory
    }
}

/// Builds the relay's router: submit, admin and operations routes behind their own tokens.
public enum RelayRouter {
    /// The HTTP/1 server the routes run on: the idle timeout closes connections with nothing moving, the
    /// read deadline those whose request does not arrive whole in time (SPEC §11).
    public static func server(_ settings: RelaySettings) -> HTTPServerBuilder {
        let readLimit = TimeAmount.milliseconds(Int64(settings.requestReadTimeout * 1000))
        return .http1(configuration: .init(
            additionalChannelHandlers: [RequestReadDeadline(limit: readLimit)],
            idleTimeout: .milliseconds(Int64(settings.idleTimeout * 1000))
        ))
    }

    /// Where the server listens, and the cap on its open connections (past it, new ones wait in the backlog).
    public static func configuration(host: String, port: Int, _ settings: RelaySettings) -> ApplicationConfiguration {
        ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil,
                                 availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections))
    }

    public static func build(_ dependencies: RelayDependencies) throws -> Router<RelayRequestContext> {
        let router = Router(context: RelayRequestContext.self)
        let guardrail = dependencies.credentialGuard
        router.add(middleware: ErrorShapeMiddleware())
        HealthRoutes(dependencies: dependencies).register(on: router)

        // One submit door, two groups: the native API under /api/v1 and the drop-in routes at the root.
        let submitToken = RequireToken(api: "submit", setting: "RELAY_SUBMIT_TOKEN", token: dependencies.settings.submitToken, guardrail: guardrail)
        let submit = router.group("/api/v1").add(middleware: submitToken)
        SubmitRoutes(dependencies: dependencies).register(on: submit)
        let dropIn = router.group().add(middleware: submitToken)
        DropInRoutes(dependencies: dependencies).register(on: dropIn)

        let capability = router.group()
            .add(middleware: CallbackMetricsMiddleware(metrics: dependencies.metrics, path: "capability"))
        CallbackRoutes(dependencies: dependencies).registerCapability(on: capability)
        let shared = router.group()
            .add(middleware: CallbackMetricsMiddleware(metrics: dependencies.metrics, path: "shared_token"))
            .add(middleware: RequireCallbackToken(token: dependencies.settings.callbackToken, guardrail: guardrail))
        CallbackRoutes(dependencies: dependencies).registerShared(on: shared)

        let adminCredential = RequireToken.Credential(api: "admin", setting: "RELAY_ADMIN_TOKEN", token: dependencies.settings.adminToken)
        let admin = router.group("/api/v1").add(middleware: RequireToken(accepting: [adminCredential], guardrail: guardrail))
        EndpointRoutes(dependencies: dependencies).register(on: admin)
        RequestRoutes(dependencies: dependencies).register(on: admin)
        DeadLetterRoutes(dependencies: dependencies).register(on: admin)
        AuditRoutes(dependencies: dependencies).register(on: admin)
        // Whoever asked, or an admin, may cancel a request and wait for its decision (SPEC §12).
        let submitCredential = RequireToken.Credential(api: "submit", setting: "RELAY_SUBMIT_TOKEN", token: dependencies.settings.submitToken)
        let either = router.group("/api/v1").add(middleware: RequireToken(accepting: [submitCredential, adminCredential], guardrail: guardrail))
        RequestRoutes(dependencies: dependencies).registerLifecycle(on: either)
        if dependencies.settings.consoleEnabled {
            try ConsoleRoutes(dependencies: dependencies).register(on: router)
        }
        MethodNotAllowed.register(on: router)
        return router
    }
}

extension Request {
    /// The body, refusing more than `limit` bytes with 413.
    func collectBody(limit: Int) async throws -> Data {
        var copy = self
        let buffer = try await copy.collectBody(upTo: limit)
        return Data(buffer.readableBytesView)
    }
}
