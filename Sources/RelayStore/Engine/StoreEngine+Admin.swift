import Foundation
import RelayCore

extension StoreEngine {
    // MARK: Endpoints

    public func createEndpoint(_ endpoint: Endpoint) async throws {
        try await write(.read(.endpointNameTaken(endpoint.name, excludingId: nil)) { taken in
            guard !(try taken.flag) else { throw StoreError.conflict("an endpoint named \(endpoint.name) already exists") }
            return .finish([.insertEndpoint(endpoint)], ())
        })
    }

    public func endpoints() async throws -> [Endpoint] {
        try await read(.endpoints) { try $0.endpoints }
    }

    public func endpoint(idOrName: String) async throws -> Endpoint? {
        try await read(.endpoint(idOrName: idOrName)) { try $0.endpoint }
    }

    public func updateEndpoint(_ endpoint: Endpoint) async throws {
        try await write(.read(.endpointNameTaken(endpoint.name, excludingId: endpoint.id)) { taken in
            guard !(try taken.flag) else { throw StoreError.conflict("an endpoint named \(endpoint.name) already exists") }
            return .write([.updateEndpoint(endpoint)]) { answers in
                guard try answers[0].count > 0 else { throw StoreError.notFound("no endpoint \(endpoint.id)") }
                return .done(())
            }
        })
    }

    public func deleteEndpoint(id: String) async throws {
        // The endpoint is locked first, so that no claim hands out a message for it meanwhile.
        try await write(.read(.endpointExists(id: id, lock: true)) { exists in
            guard try exists.flag else { throw StoreError.notFound("no endpoint \(id)") }
            return .read(.activeMessages(endpointId: id)) { active in
                let active = try active.count
                guard active == 0 else {
                    throw StoreError.busy("endpoint \(id) still has \(active) message(s) to deliver; disable it instead, or wait until they finish")
                }
                return .finish([.deleteEndpoint(id: id)], ())
            }
        })
    }

    // MARK: Dead letters

    public func deadLetters(_ query: DeadLetterQuery) async throws -> DeadLetterPage {
        try await read(.deadLetters(query)) { found in
            // One more than the page was read: its presence says that another page follows.
            let items = Array(try found.deadLetters.prefix(query.limit))
            let more = try found.deadLetters.count > query.limit
            return DeadLetterPage(items: items, nextCursor: more ? items.last.map {
                DeadLetterCursor(deadAt: $0.deadAt.timeIntervalSince1970, id: $0.message.id).encoded
            } : nil)
        }
    }

    public func replay(messageId: String, now: Date, deadline: Date) async throws -> Message {
        try await write(.read(.messageState(id: messageId, lock: true)) { found in
            guard let state = try found.messageState else { throw StoreError.notFound("no message \(messageId)") }
            guard state == .dead else {
                throw StoreError.conflict("message \(messageId) is \(state.rawValue), not dead: only dead letters can be replayed")
            }
            return .write([.replay(.message(id: messageId), now: now, deadline: deadline), .notifyDue]) { _ in
                .read(.message(id: messageId)) { replayed in
                    guard let message = try replayed.message else { throw StoreError.notFound("no message \(messageId)") }
                    return .done(message)
                }
            }
        })
    }

    public func replayDeadLetters(_ filter: DeadLetterQuery, now: Date, deadline: Date, dryRun: Bool) async throws -> Int {
        // One filter for the count and the replay, so the dry run counts exactly what would be replayed.
        if dryRun { return try await read(.deadLetterCount(filter)) { try $0.count } }
        return try await write(.write([.replay(.matching(filter), now: now, deadline: deadline)]) { answers in
            let replayed = try answers[0].count
            return replayed > 0 ? .finish([.notifyDue], replayed) : .done(0)
        })
    }

    // MARK: Housekeeping

    public func outboxCounts() async throws -> OutboxCounts {
        try await read(.outboxCounts) { try $0.outboxCounts }
    }

    public func activity(since: Date) async throws -> ActivitySummary {
        try await read(.activity(since: since)) { try $0.activity }
    }

    public func purgeFinished(before cutoff: Date, limit: Int) async throws -> PurgeResult {
        try await write(.read(.purgeCandidates(before: cutoff, limit: limit)) { candidates in
            let ids = try candidates.ids
            guard !ids.isEmpty else { return .done(PurgeResult()) }
            return .write([.purge(requestIds: ids)]) { .done(try $0[0].purged) }
        })
    }

    // MARK: Console sessions

    public func revokeConsoleSession(nonce: String, expiresAt: Date, now: Date) async throws {
        try await write(.finish([.revokeSession(nonce: nonce, expiresAt: expiresAt, now: now)], ()))
    }

    public func isConsoleSessionRevoked(nonce: String) async throws -> Bool {
        try await read(.sessionRevoked(nonce: nonce)) { try $0.flag }
    }
}
