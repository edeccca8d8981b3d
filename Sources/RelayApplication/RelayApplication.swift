import Foundation
import Logging
import RelayCore
import RelayDelivery
import RelayStore

/// The relay's use cases — submit, decide, endpoint and dead-letter administration — over the store, in
/// one place that the HTTP surface, the console and the command line all call. It knows nothing of HTTP.
public struct RelayApplication: Sendable {
    public var store: any RelayStore
    public var clock: any RelayClock
    /// Poked after a commit that makes a message due, so the dispatcher need not wait for its poll.
    public var wake: WakeSignal
    /// Forward planning and callback capabilities, shared with the dispatcher.
    public var routing: DeliveryRouting
    public var metrics: RelayMetrics
    public var policy: Policy
    public var logger: Logger
    /// Who waits for a decision (`?wait=`, `Prefer: wait`), woken by the store's decision signals.
    public let waiters: DecisionWaiters

    /// The defaults a use case applies where its input is silent.
    public struct Policy: Sendable {
        /// A request's deadline when it names no `timeout_sec`; also a replayed dead letter's.
        public var defaultRequestTimeout: TimeInterval
        /// Concurrency of an endpoint registered without one.
        public var defaultEndpointConcurrency: Int
        /// How long a rotated-out secret keeps signing.
        public var secretRotationGrace: TimeInterval
        /// The longest wait for a decision a client may ask for (`http.max_wait_sec`).
        public var maxWaitSec: Int
        /// How often a waiter reads its request again without a signal: a decision no signal announced (a
        /// command-line cancel beside a SQLite `serve`, a NOTIFY missed while reconnecting) ends the wait this late.
        public var decisionRecheck: Duration = .seconds(5)

        public init(defaultRequestTimeout: TimeInterval = 3600, defaultEndpointConcurrency: Int = 8, secretRotationGrace: TimeInterval = 86400,
                    maxWaitSec: Int = 60) {
            self.defaultRequestTimeout = defaultRequestTimeout
            self.defaultEndpointConcurrency = defaultEndpointConcurrency
            self.secretRotationGrace = secretRotationGrace
            self.maxWaitSec = maxWaitSec
        }
    }

    public init(store: any RelayStore, clock: any RelayClock, wake: WakeSignal, routing: DeliveryRouting, metrics: RelayMetrics,
                policy: Policy = Policy(), logger: Logger = Logger(label: "relay"), waiters: DecisionWaiters = DecisionWaiters()) {
        self.waiters = waiters
        self.store = store
        self.clock = clock
        self.wake = wake
        self.routing = routing
        self.metrics = metrics
        self.policy = policy
        self.logger = logger
    }
}
