import Foundation
import RelayApplication
import RelayStore
import ServiceLifecycle

/// Hands the store's decision signals (this process's commits; on PostgreSQL every instance's) to the waiters,
/// and ends every wait when the relay stops.
struct DecisionWatch: Service {
    let store: any RelayStore
    let waiters: DecisionWaiters

    func run() async throws {
        let signals = store.decisionSignals()
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                for await requestId in signals.cancelOnGracefulShutdown() { waiters.resolved(requestId) }
            } onCancel: {
                waiters.close()
            }
        } onGracefulShutdown: {
            waiters.close()
        }
    }
}
