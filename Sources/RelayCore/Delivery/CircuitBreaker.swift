import Foundation

/// Isolation of a failing endpoint (SPEC §4): after `failureThreshold` consecutive failed attempts the
/// endpoint's circuit opens — nothing is sent to it — and every `probeInterval` a single delivery probes
/// it; the first success closes the circuit. Messages wait meanwhile; none is dropped.
public struct CircuitBreaker: Sendable, Equatable {
    public var failureThreshold: Int
    public var probeInterval: TimeInterval

    public init(failureThreshold: Int = 20, probeInterval: TimeInterval = 30) {
        self.failureThreshold = failureThreshold
        self.probeInterval = probeInterval
    }

    public enum State: String, Sendable, Equatable {
        /// Deliveries flow, within the endpoint's concurrency.
        case closed
        /// Paused until the next probe.
        case open
        /// A single probe may go now.
        case probing = "half-open"
    }

    /// The circuit's state from what the store keeps: failures in a row and when the next probe is due.
    public static func state(nextProbeAt: Date?, now: Date) -> State {
        guard let nextProbeAt else { return .closed }
        return now < nextProbeAt ? .open : .probing
    }

    /// When the next probe is due after an attempt: nil (closed) after a success; otherwise once the run of
    /// failures reaches the threshold (or a probe failed), `probeInterval` from now.
    public func nextProbe(afterSuccess succeeded: Bool, consecutiveFailures: Int, wasOpen: Bool, now: Date) -> Date? {
        if succeeded { return nil }
        return wasOpen || consecutiveFailures >= failureThreshold ? now.addingTimeInterval(probeInterval) : nil
    }
}

extension CircuitBreaker {
    /// An endpoint's circuit bookkeeping after an attempt, or nil when nothing changes (a success on a
    /// healthy endpoint, the hot path, writes nothing).
    public func after(attemptSucceeded succeeded: Bool, previousFailures: Int, nextProbeAt: Date?,
                      now: Date) -> (consecutiveFailures: Int, nextProbeAt: Date?)? {
        let wasOpen = nextProbeAt != nil
        if succeeded && previousFailures == 0 && !wasOpen { return nil }
        let failures = succeeded ? 0 : previousFailures + 1
        return (failures, self.nextProbe(afterSuccess: succeeded, consecutiveFailures: failures, wasOpen: wasOpen, now: now))
    }
}
