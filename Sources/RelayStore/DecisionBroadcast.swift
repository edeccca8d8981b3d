import Foundation
import Synchronization

/// Hands the ids of resolved requests to every subscriber (a waiter registry per relay; the tests may add more).
final class DecisionBroadcast: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<String>.Continuation]>([:])

    func subscribe() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4096))
        let key = UUID()
        subscribers.withLock { $0[key] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.removeValue(forKey: key) } }
        return stream
    }

    func yield(_ ids: [String]) {
        let continuations = subscribers.withLock { Array($0.values) }
        for continuation in continuations { for id in ids { continuation.yield(id) } }
    }
}
