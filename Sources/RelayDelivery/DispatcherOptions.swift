import Foundation
import RelayCore

/// How the dispatcher claims and delivers.
public struct DispatcherOptions: Sendable {
    /// Deliveries in flight at once across every endpoint.
    public var globalConcurrency: Int
    /// Most messages claimed in one transaction.
    public var claimBatch: Int
    /// Forwards in flight at once to the control plane, and again to requests' callback URLs.
    public var forwardConcurrency: Int
    /// Forwards in flight at once to any one callback URL.
    public var callbackURLConcurrency: Int
    /// The longest the dispatcher sleeps without a wake-up before looking for due work again.
    public var pollInterval: Duration
    /// How long in-flight deliveries may run on after SIGTERM before their leases are released.
    public var shutdownGrace: Duration
    /// Retry defaults; an endpoint's `max_attempts` and `timeout_ms` override theirs.
    public var retry: RetryPolicy
    /// This instance's lease owner name.
    public var owner: String
    /// How far past an attempt's timeout a lease reaches: time to record the attempt. Never renewed.
    public var leaseMargin: TimeInterval
    /// PostgreSQL: an instance whose heartbeat is older than this is taken for dead, and its leases are
    /// returned to the queue. Heartbeats go every third of it.
    public var instanceTimeout: TimeInterval

    public init(globalConcurrency: Int = 256, claimBatch: Int = 64, forwardConcurrency: Int = 16, pollInterval: Duration = .seconds(1),
                shutdownGrace: Duration = .seconds(10), retry: RetryPolicy = .standard,
                owner: String = "relay-\(Identifier.make("i", at: Date()))", leaseMargin: TimeInterval = 30,
                callbackURLConcurrency: Int = 8, instanceTimeout: TimeInterval = 10) {
        self.globalConcurrency = globalConcurrency
        self.claimBatch = claimBatch
        self.forwardConcurrency = forwardConcurrency
        self.pollInterval = pollInterval
        self.shutdownGrace = shutdownGrace
        self.retry = retry
        self.owner = owner
        self.leaseMargin = leaseMargin
        self.callbackURLConcurrency = callbackURLConcurrency
        self.instanceTimeout = instanceTimeout
    }
}
