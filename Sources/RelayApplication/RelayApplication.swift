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

    /// The defaults a use case applies where its input is silent.
    public struct Policy: Sendable {
        /// A request's deadline when it names no `timeout_sec`; also a replayed dead letter's.
        public var defaultRequestTimeout: TimeInterval
        /// Concurrency of an endpoint registered without one.
        public var defaultEndpointConcurrency: Int
        /// How long a rotated-out secret keeps signing.
        public var secretRotationGrace: TimeInterval

        public init(defaultRequestTimeout: TimeInterval = 3600, defaultEndpointConcurrency: Int = 8, secretRotationGrace: TimeInterval = 86400) {
            self.defaultRequestTimeout = defaultRequestTimeout
            self.defaultEndpointConcurrency = defaultEndpointConcurrency
            self.secretRotationGrace = secretRotationGrace
        }
    }

    public init(store: any RelayStore, clock: any RelayClock, wake: WakeSignal, routing: DeliveryRouting, metrics: RelayMetrics,
                policy: Policy = Policy(), logger: Logger = Logger(label: "relay")) {
        self.store = store
        self.clock = clock
        self.wake = wake
        self.routing = routing
        self.metrics = metrics
        self.policy = policy
        self.logger = logger
    }
}
