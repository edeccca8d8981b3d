import Foundation

/// The relay's only source of "now": injected so tests move time by hand instead of sleeping.
public protocol RelayClock: Sendable {
    /// The current wall-clock time.
    func now() -> Date
}

/// The system wall clock.
public struct SystemClock: RelayClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to; for tests of backoff, leases and deadlines.
public final class ManualClock: RelayClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.current = start
    }

    public func now() -> Date {
        lock.withLock { current }
    }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) {
        lock.withLock { current = date }
    }
}
