import Foundation
import Logging
import RelayCore
import RelayStore
import ServiceLifecycle

/// How long finished requests are kept, and how the sweep that removes them paces itself.
public struct RetentionOptions: Sendable, Equatable {
    /// Decided requests with nothing left to deliver are purged this long after their last change;
    /// nil keeps everything.
    public var age: TimeInterval?
    /// Time between sweeps.
    public var interval: Duration
    /// Requests removed per transaction: small, so deliveries and submits wait at most one short commit.
    public var batchSize: Int
    /// Rest between batches of one sweep, leaving the writer to deliveries.
    public var pause: Duration

    public init(age: TimeInterval? = 30 * 86_400, interval: Duration = .seconds(60), batchSize: Int = 200,
                pause: Duration = .milliseconds(50)) {
        self.age = age
        self.interval = interval
        self.batchSize = batchSize
        self.pause = pause
    }
}

/// Purges finished requests, their messages and attempts once they are older than the retention age.
public struct RetentionSweeper: Service, CustomStringConvertible {
    let store: any RelayStore
    let clock: any RelayClock
    let options: RetentionOptions
    let metrics: RelayMetrics
    let logger: Logger

    public init(store: any RelayStore, clock: any RelayClock = SystemClock(), options: RetentionOptions,
                metrics: RelayMetrics = .disabled, logger: Logger = Logger(label: "relay.retention")) {
        self.store = store
        self.clock = clock
        self.options = options
        self.metrics = metrics
        self.logger = logger
    }

    /// How ServiceLifecycle names it in its logs (instead of a dump of every field).
    public var description: String { "RetentionSweeper" }

    public func run() async throws {
        guard options.age != nil else {
            logger.info("retention off: finished requests are kept")
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            _ = await sweep()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: options.interval) }
        }
    }

    /// One sweep: batches until one comes back short. Returns the total removed.
    @discardableResult
    public func sweep() async -> PurgeResult {
        guard let age = options.age else { return PurgeResult() }
        var total = PurgeResult()
        let cutoff = clock.now().addingTimeInterval(-age)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let batch: PurgeResult
            do {
                batch = try await store.purgeFinished(before: cutoff, limit: options.batchSize)
            } catch {
                logger.error("retention batch failed; the next sweep tries again", metadata: ["error": "\(error)"])
                break
            }
            total.requests += batch.requests
            total.messages += batch.messages
            total.attempts += batch.attempts
            metrics.purged(batch)
            if batch.requests < options.batchSize { break }
            try? await Task.sleep(for: options.pause)
        }
        if total.requests > 0 {
            logger.info("purged finished requests", metadata: [
                "requests": "\(total.requests)", "messages": "\(total.messages)", "attempts": "\(total.attempts)",
                "cutoff": "\(ISO8601.string(cutoff))",
            ])
        }
        return total
    }
}
