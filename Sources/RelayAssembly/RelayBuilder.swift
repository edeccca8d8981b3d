import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import Prometheus
import RelayApplication
import RelayContracts
import RelayCore
import RelayDelivery
import RelayHTTP
import RelayStore
import ServiceLifecycle
import UnixSignals

/// What the running relay is made of, beside its store: the one description `serve`, the tests and the
/// benchmark's relay all build from.
public struct RelayBlueprint: Sendable {
    public var host: String
    public var port: Int
    public var settings: RelaySettings
    public var policy: RelayApplication.Policy
    public var routing: DeliveryRouting
    public var dispatcher: DispatcherOptions
    public var retention: RetentionOptions
    public var egress: EgressGuard
    public var throttle: FailureThrottle
    public var clock: any RelayClock
    public var random: any RandomSource
    /// The callback doors behind the shared token (the forward contracts are in `routing.planner`).
    public var callbackContracts: [any CallbackContract]
    /// Spans, and the exporter's service when they are exported (SPEC §14).
    public var tracing: RelayTracing = .off
    public var tracingService: (any Service)?

    public init(host: String, port: Int, settings: RelaySettings, policy: RelayApplication.Policy, routing: DeliveryRouting,
                dispatcher: DispatcherOptions, retention: RetentionOptions = RetentionOptions(), egress: EgressGuard,
                throttle: FailureThrottle = FailureThrottle(), clock: any RelayClock = SystemClock(), random: any RandomSource = SystemRandom(),
                callbackContracts: [any CallbackContract] = Contracts.callbacks) {
        self.callbackContracts = callbackContracts
        self.host = host
        self.port = port
        self.settings = settings
        self.policy = policy
        self.routing = routing
        self.dispatcher = dispatcher
        self.retention = retention
        self.egress = egress
        self.throttle = throttle
        self.clock = clock
        self.random = random
    }
}

/// The relay, assembled: the use cases, the dispatcher, the retention sweeper and the HTTP server in one
/// service group with ordered graceful shutdown (the server stops taking requests last).
public struct AssembledRelay: Sendable {
    public let application: RelayApplication
    public let metricsRegistry: PrometheusCollectorRegistry
    let group: ServiceGroup
    let client: HTTPClient

    /// Builds everything over `store` (migrated by the caller). `onServerRunning` gets the bound port.
    /// `loggers` makes each part's logger from its label (`relay`, `relay.dispatcher`, `relay.retention`, `relay.http`).
    public init(_ blueprint: RelayBlueprint, store: any RelayStore, loggers: @Sendable (String) -> Logger = { Logger(label: $0) },
                gracefulShutdownSignals: [UnixSignal] = [], onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws {
        let logger = loggers("relay")
        let wake = WakeSignal()
        let metricsRegistry = PrometheusCollectorRegistry()
        let metrics = RelayMetrics(factory: RelayDependencies.metricsFactory(metricsRegistry))
        let application = RelayApplication(store: store, clock: blueprint.clock, wake: wake, routing: blueprint.routing, metrics: metrics,
                                           policy: blueprint.policy, logger: logger)
        // Endpoints are registered at run time with any concurrency, and several may share a host: the pool must
        // never be the limit, so it is as large as everything the dispatcher lets fly at once.
        let client = HTTPDeliverer.makeClient(
            connectTimeout: blueprint.dispatcher.retry.connectTimeout,
            connectionsPerHost: max(blueprint.dispatcher.globalConcurrency, blueprint.dispatcher.forwardConcurrency,
                                    blueprint.policy.defaultEndpointConcurrency),
            egress: blueprint.egress)
        let dispatcher = Dispatcher(
            store: store, deliverer: HTTPDeliverer(client: client, egress: blueprint.egress, bodyLimit: blueprint.settings.maxBodyBytes),
            clock: blueprint.clock, random: blueprint.random, options: blueprint.dispatcher, routing: blueprint.routing, wake: wake,
            metrics: metrics, logger: loggers("relay.dispatcher"), tracing: blueprint.tracing
        )
        let retention = RetentionSweeper(store: store, clock: blueprint.clock, options: blueprint.retention, metrics: metrics,
                                         logger: loggers("relay.retention"))
        let decisions = DecisionWatch(store: store, waiters: application.waiters)
        let dependencies = RelayDependencies(application: application, settings: blueprint.settings, metricsRegistry: metricsRegistry,
                                             throttle: blueprint.throttle, callbackContracts: blueprint.callbackContracts,
                                             tracing: blueprint.tracing)
        let router: Router<RelayRequestContext>
        do {
            router = try RelayRouter.build(dependencies)
        } catch {
            try? client.syncShutdown()
            throw error
        }
        let app = Application(
            router: router, server: RelayRouter.server(blueprint.settings),
            configuration: RelayRouter.configuration(host: blueprint.host, port: blueprint.port, blueprint.settings),
            onServerRunning: { channel in
                logger.info("relay listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
                await onServerRunning(channel.localAddress?.port ?? 0)
            },
            logger: loggers("relay.http")
        )
        self.application = application
        self.metricsRegistry = metricsRegistry
        self.client = client
        self.group = ServiceGroup(configuration: .init(
            // Shut down last to first: the waits for decisions end first, so that none holds the server's stop; the span
            // exporter, first, stops last and sends the spans of everything that stopped before it.
            services: (blueprint.tracingService.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? [])
                + [.init(service: retention), .init(service: dispatcher), .init(service: app), .init(service: decisions)],
            gracefulShutdownSignals: gracefulShutdownSignals, logger: logger
        ))
    }

    /// Runs until a graceful shutdown (a signal, or `stop`), then closes the HTTP client.
    public func run() async throws {
        do {
            try await group.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// SIGTERM's path, from inside the process.
    public func stop() async {
        await group.triggerGracefulShutdown()
    }
}
