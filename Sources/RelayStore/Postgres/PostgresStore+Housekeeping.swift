import Foundation
import PostgresNIO
import RelayCore

extension PostgresStore {
    public func outboxCounts() async throws -> OutboxCounts {
        let rows = try await read { connection in
            try await connection.query("SELECT state, dead_reason, count(*) FROM messages GROUP BY state, dead_reason",
                                       logger: self.logger).collect()
        }
        var counts = OutboxCounts()
        for state in MessageState.allCases { counts.byState[state] = 0 }
        for reason in DeadLetterReason.allCases { counts.deadByReason[reason] = 0 }
        for row in rows {
            let (stateText, reasonText, count) = try row.decode((String, String?, Int).self)
            guard let state = MessageState(rawValue: stateText) else { continue }
            counts.byState[state, default: 0] += count
            if state == .dead, let reason = reasonText.flatMap(DeadLetterReason.init) {
                counts.deadByReason[reason, default: 0] += count
            }
        }
        return counts
    }

    public func activity(since: Date) async throws -> ActivitySummary {
        let cutoff = since.timeIntervalSince1970
        return try await read { connection in
            var summary = ActivitySummary()
            for row in try await connection.query(PostgresQuery(unsafeSQL: ActivityQueries.requestsByState), logger: self.logger).collect() {
                let (state, count) = try row.decode((String, Int).self)
                summary.requestsByState[state] = count
            }
            var bindings = PostgresBindings()
            bindings.append(cutoff)
            let attempts = PostgresQuery(unsafeSQL: ActivityQueries.attemptsByEndpoint.replacingOccurrences(of: "?", with: "$1"), binds: bindings)
            for row in try await connection.query(attempts, logger: self.logger).collect() {
                let (endpoint, outcome, count) = try row.decode((String, String, Int).self)
                summary.addAttempts(endpoint: endpoint, outcome: outcome, count: count)
            }
            let failures = PostgresQuery(unsafeSQL: ActivityQueries.lastFailureByEndpoint.replacingOccurrences(of: "?", with: "$1"), binds: bindings)
            for row in try await connection.query(failures, logger: self.logger).collect() {
                let (endpoint, error, status, at) = try row.decode((String, String?, Int?, Double).self)
                summary.addLastFailure(endpoint: endpoint, error: error, status: status, at: at)
            }
            return summary
        }
    }

    public func purgeFinished(before cutoff: Date, limit: Int) async throws -> PurgeResult {
        try await transaction { connection in
            // SKIP LOCKED: a request a callback is deciding right now waits for the next sweep.
            let ids = try await connection.query("""
                SELECT r.id FROM requests r
                WHERE r.state <> 'requested' AND r.updated_at < \(cutoff.timeIntervalSince1970)
                  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.request_id = r.id AND m.state IN ('pending', 'inflight'))
                ORDER BY r.updated_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
                """, logger: self.logger).collect().map { try $0.decode(String.self) }
            guard !ids.isEmpty else { return PurgeResult() }
            let attempts = try await connection.query("""
                DELETE FROM attempts WHERE message_id IN (SELECT id FROM messages WHERE request_id = ANY(\(ids))) RETURNING 1
                """, logger: self.logger).collect().count
            let messages = try await connection.query("DELETE FROM messages WHERE request_id = ANY(\(ids)) RETURNING 1",
                                                      logger: self.logger).collect().count
            try await connection.query("DELETE FROM idempotency_keys WHERE request_id = ANY(\(ids))", logger: self.logger)
            let requests = try await connection.query("DELETE FROM requests WHERE id = ANY(\(ids)) RETURNING 1",
                                                      logger: self.logger).collect().count
            return PurgeResult(requests: requests, messages: messages, attempts: attempts)
        }
    }
}
