import CoreMetrics
import Metrics
import Foundation
import RelayCore
import RelayStore

/// Every series the relay exports (SPEC §8), named and labelled in this one place. Recorded through
/// swift-metrics, so the backend is chosen by whoever builds the relay (Prometheus in `serve`).
public struct RelayMetrics: Sendable {
    public enum Name {
        public static let submitted = "relay_requests_submitted_total"
        public static let attempts = "relay_delivery_attempts_total"
        public static let attemptDuration = "relay_delivery_attempt_duration_seconds"
        public static let delivered = "relay_messages_delivered_total"
        public static let deliveryLatency = "relay_delivery_latency_seconds"
        public static let deadLettered = "relay_messages_dead_lettered_total"
        public static let outbox = "relay_outbox_messages"
        public static let deadLetters = "relay_dead_letters"
        public static let callbacks = "relay_callbacks_total"
        public static let forwards = "relay_forwards_total"
        public static let purged = "relay_retention_purged_requests_total"
        public static let oldestPendingAge = "relay_oldest_pending_age_seconds"
    }

    /// How a callback ended, as `/metrics` counts it.
    public enum CallbackOutcome: String, Sendable, CaseIterable {
        case applied, duplicate, refused, unknownRequest = "unknown_request", invalid, unauthorized, throttled, error
    }

    let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Records nothing: for tools and tests that do not look at metrics.
    public static let disabled = RelayMetrics(factory: NOOPMetricsHandler.instance)

    /// Time from submit to a successful delivery spans retries, so its buckets reach an hour.
    public static let deliveryLatencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
    ]

    public func submitted(kind: RequestKind, api: String) {
        Counter(label: Name.submitted, dimensions: [("kind", kind.rawValue), ("api", api)], factory: factory).increment()
    }

    /// One attempt's answer and how long it took.
    public func attempt(_ message: Message, outcome: AttemptOutcome, duration: Duration) {
        let endpoint = message.endpointName
        Counter(label: Name.attempts, dimensions: [("endpoint", endpoint), ("purpose", message.purpose.rawValue),
                                                   ("outcome", outcome.rawValue)], factory: factory).increment()
        Timer(label: Name.attemptDuration, dimensions: [("endpoint", endpoint)], factory: factory).record(duration: duration)
    }

    /// A message's final state after an attempt: delivered (with its latency since enqueue) or dead.
    public func finished(_ message: Message, disposition: MessageDisposition, at now: Date) {
        let purpose = message.purpose.rawValue
        switch disposition {
        case .delivered:
            Counter(label: Name.delivered, dimensions: [("endpoint", message.endpointName), ("purpose", purpose)], factory: factory).increment()
            let latency = max(0, now.timeIntervalSince(message.createdAt))
            Timer(label: Name.deliveryLatency, dimensions: [("purpose", purpose)], factory: factory)
                .recordNanoseconds(Int64(latency * 1_000_000_000))
            if message.purpose == .forward { forward(message, outcome: "delivered") }
        case .dead(let reason):
            Counter(label: Name.deadLettered, dimensions: [("endpoint", message.endpointName), ("purpose", purpose),
                                                          ("reason", reason.rawValue)], factory: factory).increment()
            if message.purpose == .forward { forward(message, outcome: "dead") }
        case .abandoned:
            forward(message, outcome: "abandoned")
        case .retry:
            break
        }
    }

    private func forward(_ message: Message, outcome: String) {
        Counter(label: Name.forwards, dimensions: [("sink", message.sink?.rawValue ?? ForwardSink.callback.rawValue), ("outcome", outcome)],
                factory: factory).increment()
    }

    public func callback(_ outcome: CallbackOutcome, via path: String) {
        Counter(label: Name.callbacks, dimensions: [("path", path), ("outcome", outcome.rawValue)], factory: factory).increment()
    }

    /// The outbox gauges, set from an exact count just before a scrape; the oldest pending age is 0 for a purpose
    /// with nothing to send, so that an alert on it clears.
    public func outbox(_ counts: OutboxCounts, now: Date) {
        for purpose in MessagePurpose.allCases {
            let age = counts.oldestPending[purpose].map { max(0, now.timeIntervalSince($0)) } ?? 0
            Gauge(label: Name.oldestPendingAge, dimensions: [("purpose", purpose.rawValue)], factory: factory).record(age)
        }
        for (state, count) in counts.byState {
            Gauge(label: Name.outbox, dimensions: [("state", state.rawValue)], factory: factory).record(count)
        }
        for (reason, count) in counts.deadByReason {
            Gauge(label: Name.deadLetters, dimensions: [("reason", reason.rawValue)], factory: factory).record(count)
        }
    }

    public func purged(_ result: PurgeResult) {
        Counter(label: Name.purged, factory: factory).increment(by: result.requests)
    }
}
