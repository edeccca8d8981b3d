import Foundation
import GRDB
import RelayCore

extension SQLiteStore {
    public func outboxCounts() async throws -> OutboxCounts {
        try await pool.read { db in
            var counts = OutboxCounts()
            for state in MessageState.allCases { counts.byState[state] = 0 }
            for reason in DeadLetterReason.allCases { counts.deadByReason[reason] = 0 }
            for row in try Row.fetchAll(db, sql: "SELECT state, dead_reason, count(*) AS n FROM messages GROUP BY state, dead_reason") {
                let count: Int = row["n"]
                guard let state = MessageState(rawValue: row["state"]) else { continue }
                counts.byState[state, default: 0] += count
                if state == .dead, let reason = (row["dead_reason"] as String?).flatMap(DeadLetterReason.init) {
                    counts.deadByReason[reason, default: 0] += count
                }
            }
            return counts
        }
    }

    public func activity(since: Date) async throws -> ActivitySummary {
        try await pool.read { db in
            var summary = ActivitySummary()
            for row in try Row.fetchAll(db, sql: ActivityQueries.requestsByState) {
                summary.requestsByState[row[0]] = row[1]
            }
            let cutoff = since.timeIntervalSince1970
            for row in try Row.fetchAll(db, sql: ActivityQueries.attemptsByEndpoint, arguments: [cutoff]) {
                summary.addAttempts(endpoint: row[0], outcome: row[1], count: row[2])
            }
            for row in try Row.fetchAll(db, sql: ActivityQueries.lastFailureByEndpoint, arguments: [cutoff]) {
                summary.addLastFailure(endpoint: row[0], error: row[1], status: row[2], at: row[3])
            }
            return summary
        }
    }

    public func purgeFinished(before cutoff: Date, limit: Int) async throws -> PurgeResult {
        try await committer.write { db in
            // `requests_decided` holds only decided requests, so this reads the oldest first without a scan;
            // a request with a message still to deliver waits for the next sweep.
            let ids = try String.fetchAll(db, sql: """
                SELECT r.id FROM requests r
                WHERE r.state <> 'requested' AND r.updated_at < ?
                  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.request_id = r.id AND m.state IN ('pending', 'inflight'))
                ORDER BY r.updated_at
                LIMIT ?
                """, arguments: [cutoff.timeIntervalSince1970, limit])
            guard !ids.isEmpty else { return PurgeResult() }
            let placeholders = databaseQuestionMarks(count: ids.count)
            let arguments = StatementArguments(ids)
            try db.execute(sql: """
                DELETE FROM attempts WHERE message_id IN (SELECT id FROM messages WHERE request_id IN (\(placeholders)))
                """, arguments: arguments)
            let attempts = db.changesCount
            try db.execute(sql: "DELETE FROM messages WHERE request_id IN (\(placeholders))", arguments: arguments)
            let messages = db.changesCount
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE request_id IN (\(placeholders))", arguments: arguments)
            try db.execute(sql: "DELETE FROM requests WHERE id IN (\(placeholders))", arguments: arguments)
            return PurgeResult(requests: db.changesCount, messages: messages, attempts: attempts)
        }
    }
}
