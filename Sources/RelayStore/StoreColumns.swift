import Foundation
import RelayCore

/// The column lists every store selects and inserts, in one order (the row decoders rely on the names).
enum StoreColumns {
    static let endpoint = """
        id, name, role, url, secrets, settings, enabled, disabled_reason, created_at, updated_at, declared_in
        """
    static let request = """
        id, kind, correlation_id, approval_request_id, tool, state, payload, callback_url, deadline,
        decision_reason, decided_at, created_at, updated_at, decision_actor, decision_result, control_plane_state, flag, lifecycle, control_plane_ref,
        traceparent, tracestate
        """
    static let message = """
        id, request_id, endpoint_id, endpoint_name, purpose, url, body, state, attempt_count, due_at, deadline,
        dead_reason, last_error, created_at, updated_at, sink, callback_token_hash, traceparent, tracestate
        """
    static let callbackEvent = "received_at, path, decision, outcome, endpoint, actor, state, excerpt"
    static let vote = "endpoint, decision, reason, actor, path, cast_at"
    static let audit = "seq, recorded_at_ms, kind, request_id, correlation_id, path, endpoint, actor, decision, reason, body_sha256, previous_hash, hash"
    /// The endpoint columns a read adds: circuit state, which only the outbox writes.
    static let endpointRead = endpoint + ", consecutive_failures, next_probe_at"

    /// `columns` with each name qualified by `alias`.
    static func qualified(_ columns: String, _ alias: String) -> String {
        columns.split(separator: ",").map { "\(alias)." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")
    }
}

extension StoreColumns {
    /// `requests.lifecycle`: NULL for a request that asked for nothing beyond one decision (most of them, and
    /// every request stored before quorum and escalation existed).
    static func lifecycle(_ lifecycle: RequestLifecycle) throws -> String? {
        lifecycle.isStandard ? nil : try JSONCoding.encode(lifecycle)
    }

    static func lifecycle(_ stored: String?) throws -> RequestLifecycle {
        try stored.map { try JSONCoding.decode(RequestLifecycle.self, $0) } ?? .standard
    }
}
