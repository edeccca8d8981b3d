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
import RelayApplication
import RelayAssembly
import RelayContracts
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
    let assembled: AssembledRelay
    private let task: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var clock: any RelayClock { assembled.application.clock }
    var wake: WakeSignal { assembled.application.wake }
    var metricsRegistry: PrometheusCollectorRegistry { assembled.metricsRegistry }

    private init(port: Int, store: any RelayStore, location: StoreLocation, assembled: AssembledRelay, task: Task<Void, any Error>) {
        self.port = port
        self.store = store
        self.location = location
        self.assembled = assembled
        self.task = task
    }

    /// A fresh SQLite path, for the tests of the binary.
    static func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("relay-e2e-\(UUID().uuidString)/relay.sqlite").path
    }

    static func start(
        store kind: StoreKind = .sqlite, location: StoreLocation? = nil, clock: any RelayClock = SystemClock(),
        random: any RandomSource = FixedRandom(0), settings: RelaySettings? = nil,
        retry: RetryPolicy = RetryPolicy(base: 0.05, cap: 1, maxAttempts: 5, attemptTimeout: 2, connectTimeout: 1),
        shutdownGrace: Duration = .seconds(5), controlPlane: ControlPlaneSettings? = nil,
        callbackKey: [UInt8] = TestRelay.callbackKey, egress: EgressGuard = EgressGuard(policy: EgressPolicy()),
        circuit: CircuitBreaker = CircuitBreaker(), forwardConcurrency: Int = 16, callbackURLConcurrency: Int = 8,
        callbackSigningSecret: WebhookSecret? = nil, throttle: FailureThrottle? = nil, logger: Logger? = nil,
        extraForwards: [any ForwardContract] = [], extraCallbacks: [any CallbackContract] = [],
        policy: RelayApplication.Policy = RelayApplication.Policy(), events: OperationalEvents? = nil
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
        let relaySettings = settings ?? RelaySettings(
            adminToken: adminToken, submitToken: submitToken, callbackToken: callbackToken
        )
        // The capability URLs name the relay's own port, so the port is chosen before the server starts.
        return try await onFreePort { port in
            let contracts = Contracts.forwards(callbackSigningSecret: callbackSigningSecret, controlPlane: controlPlane) + extraForwards
            let routing = DeliveryRouting(
                planner: ForwardPlanner(contracts: contracts, forwardWindow: 3600, events: events),
                capability: CallbackCapability(key: callbackKey, publicURL: "http://127.0.0.1:\(port)")
            )
            // The production assembly, with the tests' clock, randomness, policies and a quiet logger.
            let blueprint = RelayBlueprint(
                host: "127.0.0.1", port: port, settings: relaySettings, policy: policy, routing: routing,
                dispatcher: DispatcherOptions(forwardConcurrency: forwardConcurrency, pollInterval: .milliseconds(50),
                                              shutdownGrace: shutdownGrace, retry: retry, callbackURLConcurrency: callbackURLConcurrency),
                egress: egress, throttle: throttle ?? Self.unthrottled(), clock: clock, random: random,
                callbackContracts: Contracts.callbacks + extraCallbacks
            )
            let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
            let assembled = try AssembledRelay(blueprint, store: store, loggers: { _ in logger },
                                               onServerRunning: { port in portContinuation.yield(port) })
            let task = Task {
                defer { portContinuation.finish() }
                try await assembled.run()
            }
            var iterator = portStream.makeAsyncIterator()
            guard await iterator.next() != nil else { return nil }  // the bind failed: the port was taken
            return TestRelay(port: port, store: store, location: location, assembled: assembled, task: task)
        }
    }

    /// The suites send wrong credentials on purpose, route after route: here they are counted but never
    /// slowed or refused. The throttle's own test passes the production policy's shape.
    static func unthrottled() -> FailureThrottle {
        FailureThrottle(policy: .init(limit: 1_000_000, window: 60, baseDelay: .zero, maximumDelay: .zero))
    }

    /// SIGTERM's path: graceful shutdown of the dispatcher and the server.
    func stop() async {
        await assembled.stop()
        _ = try? await task.value
        try? await store.close()
    }

    /// Makes the dispatcher look for due work now (after the test moved the clock).
    func poke() { wake.signal() }
}
