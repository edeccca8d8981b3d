import Foundation
import PostgresNIO
import RelayCore

/// Row decoding for the PostgreSQL queries (the column lists are `StoreColumns`).
enum PostgresRows {
    static func endpoint(_ row: PostgresRow) throws -> Endpoint {
        let row = row.makeRandomAccess()
        var endpoint = Endpoint(
            id: try row["id"].decode(String.self), name: try row["name"].decode(String.self),
            role: try decodeEnum(row["role"].decode(String.self)), url: try row["url"].decode(String.self),
            secrets: try StoreColumns.secrets(row["secrets"].decode(String.self)),
            concurrency: 0, enabled: try row["enabled"].decode(Bool.self),
            disabledReason: try row["disabled_reason"].decode(String?.self),
            createdAt: date(try row["created_at"].decode(Double.self)), updatedAt: date(try row["updated_at"].decode(Double.self))
        )
        endpoint.settings = try StoreColumns.settings(row["settings"].decode(String.self))
        endpoint.declaredIn = try row["declared_in"].decode(String?.self)
        if row.contains("consecutive_failures") {
            endpoint.consecutiveFailures = try row["consecutive_failures"].decode(Int.self)
            endpoint.nextProbeAt = try row["next_probe_at"].decode(Double?.self).map(date)
        }
        return endpoint
    }

    /// A row of `StoreColumns.deadLetterNote`.
    static func deadLetterNote(_ row: PostgresRow) throws -> DeadLetterNote {
        let (id, requestId, endpoint, purpose, attempts, lastError) = try row.decode((String, String, String, String, Int, String?).self)
        return DeadLetterNote(messageId: id, requestId: requestId, endpoint: endpoint, purpose: try decodeEnum(purpose),
                              attempts: attempts, lastError: lastError)
    }

    static func request(_ row: PostgresRow) throws -> RelayRequest {
        let row = row.makeRandomAccess()
        var request = RelayRequest(
            id: try row["id"].decode(String.self), kind: try decodeEnum(row["kind"].decode(String.self)),
            correlationId: try row["correlation_id"].decode(String.self),
            approvalRequestId: try row["approval_request_id"].decode(Int64?.self), tool: try row["tool"].decode(String.self),
            state: try decodeEnum(row["state"].decode(String.self)), payload: try row["payload"].decode(Data.self),
            callbackURL: try row["callback_url"].decode(String?.self), deadline: date(try row["deadline"].decode(Double.self)),
            createdAt: date(try row["created_at"].decode(Double.self)), updatedAt: date(try row["updated_at"].decode(Double.self)),
            decisionReason: try row["decision_reason"].decode(String?.self),
            decidedAt: try row["decided_at"].decode(Double?.self).map(date)
        )
        request.decisionActor = try row["decision_actor"].decode(String?.self)
        request.decisionResult = try row["decision_result"].decode(Data?.self).flatMap(JSONValue.parse)
        request.controlPlaneState = try row["control_plane_state"].decode(String?.self)
        request.flag = try row["flag"].decode(String?.self)
        request.lifecycle = try StoreColumns.lifecycle(try row["lifecycle"].decode(String?.self))
        request.controlPlaneRef = try row["control_plane_ref"].decode(String?.self)
        request.trace = TraceHeaders(traceparent: try row["traceparent"].decode(String?.self), tracestate: try row["tracestate"].decode(String?.self))
        return request
    }

    static func message(_ row: PostgresRow) throws -> Message {
        try message(row.makeRandomAccess())
    }

    static func message(_ row: PostgresRandomAccessRow) throws -> Message {
        Message(
            id: try row["id"].decode(String.self), requestId: try row["request_id"].decode(String.self),
            endpointId: try row["endpoint_id"].decode(String?.self), endpointName: try row["endpoint_name"].decode(String.self),
            purpose: try decodeEnum(row["purpose"].decode(String.self)), url: try row["url"].decode(String.self),
            body: try row["body"].decode(Data.self), state: try decodeEnum(row["state"].decode(String.self)),
            attemptCount: try row["attempt_count"].decode(Int.self), dueAt: date(try row["due_at"].decode(Double.self)),
            deadline: date(try row["deadline"].decode(Double.self)),
            deadReason: try row["dead_reason"].decode(String?.self).map(decodeEnum),
            lastError: try row["last_error"].decode(String?.self),
            createdAt: date(try row["created_at"].decode(Double.self)), updatedAt: date(try row["updated_at"].decode(Double.self)),
            sink: try row["sink"].decode(String?.self).map(decodeEnum),
            callbackTokenHash: try row["callback_token_hash"].decode(String?.self),
            trace: TraceHeaders(traceparent: try row["traceparent"].decode(String?.self), tracestate: try row["tracestate"].decode(String?.self))
        )
    }

    static func vote(_ row: PostgresRow) throws -> Vote {
        let (endpoint, decision, reason, actor, path, castAt) = try row.decode((String, String, String?, String?, String, Double).self)
        return Vote(endpoint: endpoint, decision: try decodeEnum(decision), reason: reason, actor: actor, path: try decodeEnum(path),
                    castAt: date(castAt))
    }

    static func auditEntry(_ row: PostgresRow) throws -> AuditEntry {
        let row = row.makeRandomAccess()
        return AuditEntry(seq: try row["seq"].decode(Int64.self), record: AuditRecord(
            kind: try row["kind"].decode(String.self), recordedAtMs: try row["recorded_at_ms"].decode(Int64.self),
            requestId: try row["request_id"].decode(String.self), correlationId: try row["correlation_id"].decode(String.self),
            path: try row["path"].decode(String.self), endpoint: try row["endpoint"].decode(String?.self),
            actor: try row["actor"].decode(String?.self), decision: try row["decision"].decode(String.self),
            reason: try row["reason"].decode(String?.self), bodySHA256: try row["body_sha256"].decode(String?.self)
        ), previousHash: try row["previous_hash"].decode(String.self), hash: try row["hash"].decode(String.self))
    }

    static func attempt(_ row: PostgresRow) throws -> Attempt {
        let row = row.makeRandomAccess()
        return Attempt(
            messageId: try row["message_id"].decode(String.self), number: try row["number"].decode(Int.self),
            startedAt: date(try row["started_at"].decode(Double.self)), durationMs: try row["duration_ms"].decode(Int.self),
            statusCode: try row["status_code"].decode(Int?.self), error: try row["error"].decode(String?.self),
            responseExcerpt: try row["response_excerpt"].decode(String?.self), outcome: try decodeEnum(row["outcome"].decode(String.self))
        )
    }

    static func date(_ seconds: Double) -> Date {
        Date(timeIntervalSince1970: seconds)
    }

    static func decodeEnum<T: RawRepresentable>(_ raw: String) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: raw) else { throw StoreError.conflict("unexpected value \(raw) for \(T.self) in the database") }
        return value
    }
}
