import Foundation
import RelayCore

/// How the dispatcher claims and delivers.
public struct DispatcherOptions: Sendable {
    /// Deliveries in flight at once across every endpoint.
    public var globalConcurrency: Int
    /// Most messages claimed in one transaction.
    public var claimBatch: Int
    /// Forwards (to the control plane or a request's callback URL) in flight at once.
    public var forwardConcurrency: Int
    /// The longest the dispatcher sleeps without a wake-up before looking for due work again.
    public var pollInterval: Duration
    /// How long in-flight deliveries may run on after SIGTERM before their leases are released.
    public var shutdownGrace: Duration
    /// Retry defaults; an endpoint's `max_attempts` and `timeout_ms` override theirs.
    public var retry: RetryPolicy
    /// This instance's lease owner name.
    public var owner: String
    /// How far past an attempt's timeout a lease reaches, and how far each renewal pushes it.
    public var leaseMargin: TimeInterval

    public init(globalConcurrency: Int = 256, claimBatch: Int = 64, forwardConcurrency: Int = 16, pollInterval: Duration = .seconds(1),
                shutdownGrace: Duration = .seconds(10), retry: RetryPolicy = .standard,
                owner: String = "relay-\(Identifier.make("i", at: Date()))", leaseMargin: TimeInterval = 30) {
        self.globalConcurrency = globalConcurrency
        self.claimBatch = claimBatch
        self.forwardConcurrency = forwardConcurrency
        self.pollInterval = pollInterval
        self.shutdownGrace = shutdownGrace
        self.retry = retry
        self.owner = owner
        self.leaseMargin = leaseMargin
    }
}
