import Foundation
import Logging
import RelayCore
import RelayDelivery
import RelayStore

extension RelayApplication {
    /// Puts one dead letter back in the queue: a fresh deadline of the default request timeout, its
    /// idempotency key and attempt history kept, the dispatcher woken.
    public func replayDeadLetter(_ messageId: String) async throws -> Message {
        let now = clock.now()
        do {
            let message = try await store.replay(messageId: messageId, now: now, deadline: now.addingTimeInterval(policy.defaultRequestTimeout))
            wake.signal()
            logger.info("dead letter replayed", metadata: ["message_id": "\(messageId)"])
            return message
        } catch StoreError.notFound(let message) {
            throw RelayError.notFound(message)
        } catch StoreError.conflict(let message) {
            throw RelayError(.conflict, code: "not_dead", message)
        }
    }

    /// Replays every dead letter `filter` matches, or with `dryRun` only counts them.
    public func replayDeadLetters(matching filter: DeadLetterQuery, dryRun: Bool) async throws -> Int {
        let now = clock.now()
        let count = try await store.replayDeadLetters(filter, now: now, deadline: now.addingTimeInterval(policy.defaultRequestTimeout),
                                                      dryRun: dryRun)
        if !dryRun && count > 0 {
            wake.signal()
            logger.info("dead letters replayed in bulk", metadata: ["count": "\(count)"])
        }
        return count
    }
}
