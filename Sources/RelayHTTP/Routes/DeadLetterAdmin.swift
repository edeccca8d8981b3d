import Foundation
import HTTPTypes
import Logging
import RelayCore
import RelayDelivery
import RelayStore

/// Dead-letter replays, shared by the admin API and the console so both apply the same rules: a replay
/// gets a fresh deadline of `request_timeout_sec`, keeps its idempotency key and attempt history, and
/// wakes the dispatcher.
struct DeadLetterAdmin: Sendable {
    let dependencies: RelayDependencies

    func replay(messageId: String, logger: Logger) async throws -> Message {
        let now = dependencies.clock.now()
        do {
            let message = try await dependencies.store.replay(
                messageId: messageId, now: now, deadline: now.addingTimeInterval(dependencies.settings.defaultRequestTimeout)
            )
            dependencies.wake.signal()
            logger.info("dead letter replayed", metadata: ["message_id": "\(messageId)"])
            return message
        } catch StoreError.notFound(let message) {
            throw APIError.notFound(message)
        } catch StoreError.conflict(let message) {
            throw APIError(.conflict, code: "not_dead", message)
        }
    }

    /// Replays every dead letter `filter` matches, or with `dryRun` only counts them.
    func replay(matching filter: DeadLetterQuery, dryRun: Bool, logger: Logger) async throws -> Int {
        let now = dependencies.clock.now()
        let count = try await dependencies.store.replayDeadLetters(
            filter, now: now, deadline: now.addingTimeInterval(dependencies.settings.defaultRequestTimeout), dryRun: dryRun
        )
        if !dryRun && count > 0 {
            dependencies.wake.signal()
            logger.info("dead letters replayed in bulk", metadata: ["count": "\(count)"])
        }
        return count
    }
}
