import Foundation
import RelayDelivery
import Synchronization

/// Who waits for which request's decision (SPEC §12, `?wait=` and `Prefer: wait`): woken by the store's decision
/// signals, which a PostgreSQL store receives from every instance. Closed at shutdown, so that no wait holds
/// the server's graceful stop.
public final class DecisionWaiters: Sendable {
    private struct State {
        var waiting: [String: [UUID: WakeSignal]] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    public init() {}

    /// A wake-up for `requestId`'s decision; nil once closed.
    func register(_ requestId: String) -> (key: UUID, wake: WakeSignal)? {
        let wake = WakeSignal()
        let key = UUID()
        let registered = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.waiting[requestId, default: [:]][key] = wake
            return true
        }
        return registered ? (key, wake) : nil
    }

    func unregister(_ requestId: String, _ key: UUID) {
        state.withLock { state in
            state.waiting[requestId]?.removeValue(forKey: key)
            if state.waiting[requestId]?.isEmpty == true { state.waiting.removeValue(forKey: requestId) }
        }
    }

    /// The request was resolved: everyone waiting for it reads it again.
    public func resolved(_ requestId: String) {
        for wake in state.withLock({ Array(($0.waiting[requestId] ?? [:]).values) }) { wake.signal() }
    }

    /// Ends every wait now (each answers with the request as it stands) and every later one at once.
    public func close() {
        let all = state.withLock { state -> [WakeSignal] in
            state.closed = true
            return state.waiting.values.flatMap(\.values)
        }
        for wake in all { wake.signal() }
    }

    var isClosed: Bool { state.withLock { $0.closed } }
}
