import Foundation
import RelayCore
import RelayDelivery
import RelayStore

extension RelayApplication {
    /// The request by id or correlation id, as soon as it is resolved or after `seconds` (SPEC §12). A decision taken
    /// here or on another instance sharing a PostgreSQL store ends the wait at once; one that no signal announced
    /// (a command-line cancel beside a SQLite `serve`) is found by a re-read every `policy.decisionRecheck`.
    public func awaitDecision(_ key: String, upTo seconds: Int) async throws -> RelayRequest {
        guard (0...policy.maxWaitSec).contains(seconds) else {
            throw RelayError.invalid("wait must be a whole number of seconds from 0 to \(policy.maxWaitSec) (http.max_wait_sec)", field: "wait")
        }
        guard let found = try await store.request(.idOrCorrelationId(key)) else {
            throw RelayError.notFound("no request with id or correlation_id \(key)")
        }
        return try await awaitDecision(of: found, upTo: seconds)
    }

    /// `request` as soon as it is resolved, or as it stands after `seconds`.
    public func awaitDecision(of request: RelayRequest, upTo seconds: Int) async throws -> RelayRequest {
        guard !request.state.isResolved, seconds > 0, let (key, wake) = waiters.register(request.id) else { return request }
        defer { waiters.unregister(request.id, key) }
        let deadline = ContinuousClock.now + .seconds(seconds)
        // Read again now that the waiter is registered: a decision in between would have woken nobody.
        var current = try await store.request(.id(request.id)) ?? request
        while !current.state.isResolved, !waiters.isClosed, !Task.isCancelled {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { break }
            await wake.wait(upTo: min(left, policy.decisionRecheck))
            current = try await store.request(.id(request.id)) ?? current
        }
        return current
    }
}
