import Foundation
import Synchronization
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
    /// What a write that makes dead letters returns of each (`RETURNING`), for its operational event.
    static let deadLetterNote = "id, request_id, endpoint_name, purpose, attempt_count, last_error"
    /// What a completion returns of its message's endpoint: the circuit, which the same transaction moves next.
    static let circuitReturning = """
        (SELECT consecutive_failures FROM endpoints WHERE endpoints.id = messages.endpoint_id) AS consecutive_failures,
        (SELECT next_probe_at FROM endpoints WHERE endpoints.id = messages.endpoint_id) AS next_probe_at
        """
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

extension StoreColumns {
    /// `endpoints.secrets` and `endpoints.settings`, decoded once per distinct stored text: every submit and
    /// every claim reads the endpoints, and decoding their JSON each time was a tenth of a submit's CPU
    /// (issue 16). Keyed by the text itself, so a change made by any instance is seen at the next read.
    static func secrets(_ text: String) throws -> [SigningSecret] {
        try secretsCache.value(for: text) { try JSONCoding.decode([SigningSecret].self, $0) }
    }

    static func settings(_ text: String) throws -> EndpointSettings {
        try settingsCache.value(for: text) { try JSONCoding.decode(EndpointSettings.self, $0) }
    }

    private static let secretsCache = DecodedTextCache<[SigningSecret]>()
    private static let settingsCache = DecodedTextCache<EndpointSettings>()
}

/// Values decoded from stored text, by that text; emptied when it holds `limit` of them (endpoints are few,
/// and an emptied cache only costs the decoding again).
final class DecodedTextCache<Value: Sendable>: Sendable {
    private let entries = Mutex<[String: Value]>([:])
    let limit: Int

    init(limit: Int = 4_096) {
        self.limit = limit
    }

    func value(for text: String, decode: (String) throws -> Value) throws -> Value {
        if let known = entries.withLock({ $0[text] }) { return known }
        let decoded = try decode(text)
        entries.withLock { entries in
            if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            entries[text] = decoded
        }
        return decoded
    }
}
