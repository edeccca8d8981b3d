import Foundation
import GRDB
import RelayCore

/// Column lists and row decoding shared by the SQLite queries.
enum SQLiteRows {
    /// Where the audit chain stands: read by the audit stream and by an append (in the writer, so no other append moves it).
    static func auditHead(_ db: Database) throws -> AuditHead {
        guard let row = try Row.fetchOneCached(db, sql: "SELECT seq, hash FROM audit_head WHERE id = 1") else {
            throw StoreError.auditHeadMissing
        }
        return AuditHead(seq: row["seq"], hash: row["hash"])
    }

    static func endpoint(_ row: Row) throws -> Endpoint {
        var endpoint = Endpoint(
            id: row["id"], name: row["name"], role: try decodeEnum(row["role"]), url: row["url"],
            secrets: try StoreColumns.secrets(row["secrets"]), concurrency: 0,
            enabled: row["enabled"], disabledReason: row["disabled_reason"],
            createdAt: date(row["created_at"]), updatedAt: date(row["updated_at"])
        )
        endpoint.settings = try StoreColumns.settings(row["settings"])
        endpoint.declaredIn = row["declared_in"]
        if row.hasColumn("consecutive_failures") {
            endpoint.consecutiveFailures = row["consecutive_failures"]
            endpoint.nextProbeAt = (row["next_probe_at"] as Double?).map(date)
        }
        return endpoint
    }

    /// A row of `StoreColumns.deadLetterNote`.
    static func deadLetterNote(_ row: Row) throws -> DeadLetterNote {
        DeadLetterNote(messageId: row["id"], requestId: row["request_id"], endpoint: row["endpoint_name"],
                       purpose: try decodeEnum(row["purpose"]), attempts: row["attempt_count"], lastError: row["last_error"])
    }

    static func request(_ row: Row) throws -> RelayRequest {
        var request = RelayRequest(
            id: row["id"], kind: try decodeEnum(row["kind"]), correlationId: row["correlation_id"],
            approvalRequestId: row["approval_request_id"], tool: row["tool"], state: try decodeEnum(row["state"]),
            payload: row["payload"], callbackURL: row["callback_url"], deadline: date(row["deadline"]),
            createdAt: date(row["created_at"]), updatedAt: date(row["updated_at"]),
            decisionReason: row["decision_reason"], decidedAt: (row["decided_at"] as Double?).map(date)
        )
        request.decisionActor = row["decision_actor"]
        request.decisionResult = (row["decision_result"] as Data?).flatMap(JSONValue.parse)
        request.controlPlaneState = row["control_plane_state"]
        request.flag = row["flag"]
        request.lifecycle = try StoreColumns.lifecycle(row["lifecycle"] as String?)
        request.controlPlaneRef = row["control_plane_ref"]
        request.trace = TraceHeaders(traceparent: row["traceparent"], tracestate: row["tracestate"])
        return request
    }

    static func message(_ row: Row) throws -> Message {
        Message(
            id: row["id"], requestId: row["request_id"], endpointId: row["endpoint_id"],
            endpointName: row["endpoint_name"], purpose: try decodeEnum(row["purpose"]), url: row["url"],
            body: row["body"], state: try decodeEnum(row["state"]), attemptCount: row["attempt_count"],
            dueAt: date(row["due_at"]), deadline: date(row["deadline"]),
            deadReason: try (row["dead_reason"] as String?).map(decodeEnum), lastError: row["last_error"],
            createdAt: date(row["created_at"]), updatedAt: date(row["updated_at"]),
            sink: try (row["sink"] as String?).map(decodeEnum), callbackTokenHash: row["callback_token_hash"],
            trace: TraceHeaders(traceparent: row["traceparent"], tracestate: row["tracestate"])
        )
    }

    static func vote(_ row: Row) throws -> Vote {
        Vote(endpoint: row["endpoint"], decision: try decodeEnum(row["decision"]), reason: row["reason"], actor: row["actor"],
             path: try decodeEnum(row["path"]), castAt: date(row["cast_at"]))
    }

    static func auditEntry(_ row: Row) throws -> AuditEntry {
        AuditEntry(seq: row["seq"], record: AuditRecord(
            kind: row["kind"], recordedAtMs: row["recorded_at_ms"], requestId: row["request_id"],
            correlationId: row["correlation_id"], path: row["path"], endpoint: row["endpoint"], actor: row["actor"],
            decision: row["decision"], reason: row["reason"], bodySHA256: row["body_sha256"]
        ), previousHash: row["previous_hash"], hash: row["hash"])
    }

    static func attempt(_ row: Row) throws -> Attempt {
        Attempt(
            messageId: row["message_id"], number: row["number"], startedAt: date(row["started_at"]),
            durationMs: row["duration_ms"], statusCode: row["status_code"], error: row["error"],
            responseExcerpt: row["response_excerpt"], outcome: try decodeEnum(row["outcome"])
        )
    }

    static func date(_ seconds: Double) -> Date {
        Date(timeIntervalSince1970: seconds)
    }

    static func decodeEnum<T: RawRepresentable>(_ raw: String) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: raw) else {
            throw DatabaseError(message: "unexpected value \(raw) for \(T.self)")
        }
        return value
    }
}

/// JSON columns (secrets, headers, tools): one encoder configuration for every store.
public enum JSONCoding {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(type, from: Data(text.utf8))
    }
}
