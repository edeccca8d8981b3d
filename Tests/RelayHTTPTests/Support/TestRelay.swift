import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import RelayCore
import RelayDelivery
import RelayHTTP
import RelayStore
import RelayTestSupport
import ServiceLifecycle

/// The relay as it runs in production — router, dispatcher, SQLite file — on 127.0.0.1 with an ephemeral port.
final class TestRelay: Sendable {
    static let adminToken = "test-admin-token"
    static let submitToken = "test-submit-token"
    static let callbackToken = "test-callback-token"
    static let callbackKey = Array(repeating: UInt8(7), count: 32)

    let port: Int
    let store: any RelayStore
    /// Where the store lives: a restart passes it to the next `start`.
    let location: StoreLocation
    let clock: any RelayClock
    let wake: WakeSignal
    let metricsRegistry: PrometheusCollectorRegistry
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let client: HTTPClient

    var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, store: any RelayStore, location: StoreLocation, clock: any RelayClock, wake: WakeSignal,
                 metricsRegistry: PrometheusCollectorRegistry, group: ServiceGroup, task: Task<Void, any Error>, client: HTTPClient) {
        self.metricsRegistry = metricsRegistry
        self.port = port
        self.store = store
        self.location = location
        self.clock = clock
        self.wake = wake
        self.group = group
        self.task = task
        self.client = client
    }

    /// A fresh SQLite path, for the tests of the binary.
    static func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("relay-e2e-\(UUID().uuidString)/relay.sqlite").path
    }

    static func start(
        store kind: StoreKind = .sqlite, location: StoreLocation? = nil, clock: any RelayClock = SystemClock(),
        random: any RandomSource = FixedRandom(0), settings: RelaySettings? = nil,
        retry: RetryPolicy = RetryPolicy(base: 0.05, cap: 1, maxAttempts: 5, attemptTimeout: 2, connectTimeout: 1),
        shutdownGrace: Duration = .seconds(5), controlPlane: ControlPlaneSink? = nil,
        callbackKey: [UInt8] = TestRelay.callbackKey, egress: EgressGuard = EgressGuard(policy: EgressPolicy()),
        circuit: CircuitBreaker = CircuitBreaker(), forwardConcurrency: Int = 16, callbackURLConcurrency: Int = 8,
        callbackSigningSecret: WebhookSecret? = nil, throttle: FailureThrottle? = nil, logger: Logger? = nil
    ) async throws -> TestRelay {
        let logger = logger ?? {
            var quiet = Logger(label: "test-relay")
            quiet.logLevel = .error
            return quiet
        }()
        var chosen = location
        if chosen == nil { chosen = try await TestStores.fresh(kind) }
        let location = chosen!
        let store = try TestStores.open(location, circuit: circuit, logger: logger)
        try await store.migrate()
        let wake = WakeSignal()
        let client = HTTPDeliverer.makeClient(connectTimeout: retry.connectTimeout, connectionsPerHost: 8, egress: egress)
        let relaySettings = settings ?? RelaySettings(
            adminToken: adminToken, submitToken: submitToken, callbackToken: callbackToken
        )
        // The capability URLs name the relay's own port, so the port is chosen before the server starts.
        return try await onFreePort { port in
            let routing = DeliveryRouting(
                planner: ForwardPlanner(controlPlane: controlPlane, forwardWindow: 3600),
                capability: CallbackCapability(key: callbackKey, publicURL: "http://127.0.0.1:\(port)"),
                callbackSigningSecret: callbackSigningSecret
            )
            let metricsRegistry = PrometheusCollectorRegistry()
            let dependencies = RelayDependencies(store: store, settings: relaySettings, clock: clock, wake: wake, routing: routing,
                                                 metricsRegistry: metricsRegistry, throttle: throttle ?? Self.unthrottled())
            let dispatcher = Dispatcher(
                store: store, deliverer: HTTPDeliverer(client: client, egress: egress, bodyLimit: relaySettings.maxBodyBytes),
                clock: clock, random: random,
                options: DispatcherOptions(forwardConcurrency: forwardConcurrency, pollInterval: .milliseconds(50),
                                           shutdownGrace: shutdownGrace, retry: retry, callbackURLConcurrency: callbackURLConcurrency),
                routing: routing, wake: wake, metrics: dependencies.metrics, logger: logger
            )
            let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
            let app = Application(
                router: try RelayRouter.build(dependencies), server: RelayRouter.server(relaySettings),
                configuration: RelayRouter.configuration(host: "127.0.0.1", port: port, relaySettings),
                onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger
            )
            let group = ServiceGroup(configuration: .init(services: [dispatcher, app], logger: logger))
            let task = Task {
                defer { portContinuation.finish() }
                try await group.run()
            }
            var iterator = portStream.makeAsyncIterator()
            guard await iterator.next() != nil else { return nil }  // the bind failed: the port was taken
            return TestRelay(port: port, store: store, location: location, clock: clock, wake: wake,
                             metricsRegistry: metricsRegistry, group: group, task: task, client: client)
        }
    }

    /// The suites send wrong credentials on purpose, route after route: here they are counted but never
    /// slowed or refused. The throttle's own test passes the production policy's shape.
    static func unthrottled() -> FailureThrottle {
        FailureThrottle(policy: .init(limit: 1_000_000, window: 60, baseDelay: .zero, maximumDelay: .zero))
    }

    /// SIGTERM's path: graceful shutdown of the dispatcher and the server.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        try? await client.shutdown()
        try? await store.close()
    }

    /// Makes the dispatcher look for due work now (after the test moved the clock).
    func poke() { wake.signal() }
}
