import Foundation
import PostgresNIO
import RelayCore
import Synchronization

/// The hot path's fixed statements, which PostgreSQL parses and plans once per connection (named prepared
/// statements) instead of once per call: measured on an approval cycle, planning them cost the server about as
/// much CPU as running them (BENCHMARKS.md, issue 16). A connection pooler in front of PostgreSQL must keep
/// prepared statements (PgBouncer 1.21 or later with `max_prepared_statements`, README "PostgreSQL").
protocol HotStatement {
    static var sql: String { get }
}

/// `Statement` as PostgresNIO's prepared statement, answering the rows as they come.
struct Prepared<Statement: HotStatement>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { "relay_\(Statement.self)" }
    static var sql: String { Statement.sql }
    var bindings: PostgresBindings
    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

/// The statements, each with its binds in order ($1, $2, …).
enum Hot {
    enum Endpoints: HotStatement {
        static let sql = "SELECT \(StoreColumns.endpointRead) FROM endpoints ORDER BY name"
    }

    enum IdempotencyAnswer: HotStatement {
        /// key
        static let sql = "SELECT body_hash, response_status, response_body FROM idempotency_keys WHERE key = $1"
    }

    enum RequestWithCorrelationId: HotStatement {
        /// correlation id
        static let sql = "SELECT \(StoreColumns.request) FROM requests WHERE correlation_id = $1"
    }

    enum RequestById: HotStatement {
        /// id
        static let sql = "SELECT \(StoreColumns.request) FROM requests WHERE id = $1"
    }

    enum RequestByIdLocked: HotStatement {
        /// id
        static let sql = "SELECT \(StoreColumns.request) FROM requests WHERE id = $1 FOR UPDATE"
    }

    enum Capability: HotStatement {
        /// token hash
        static let sql = """
            SELECT \(StoreColumns.qualified(StoreColumns.request, "r")), m.endpoint_name AS delivery_endpoint
            FROM messages m JOIN requests r ON r.id = m.request_id WHERE m.callback_token_hash = $1
            """
    }

    enum Deliveries: HotStatement {
        /// request id
        static let sql = """
            SELECT m.id, m.endpoint_id, m.endpoint_name, m.state, m.attempt_count, e.settings::json->>'resolution_url'
            FROM messages m LEFT JOIN endpoints e ON e.id = m.endpoint_id
            WHERE m.request_id = $1 AND m.purpose = 'delivery' ORDER BY m.created_at, m.id
            """
    }

    enum CompleteMessage: HotStatement {
        /// state, due at, dead reason, dead at, last error, now, id, lease token
        static let sql = """
            UPDATE messages
            SET state = $1, attempt_count = attempt_count + 1, due_at = $2, lease_owner = NULL,
                dead_reason = $3, dead_at = $4, last_error = $5, updated_at = $6
            WHERE id = $7 AND lease_token = $8 AND state = 'inflight'
            RETURNING request_id, endpoint_id, endpoint_name, purpose, \(StoreColumns.circuitReturning)
            """
    }

    /// One claim statement: the due messages picked and locked (SKIP LOCKED), then leased, in one round trip.
    enum Claim: HotStatement {
        /// endpoint id (NULL: the forwards), now, control plane only, take, owner, lease until, the endpoint's current URL
        static let sql = """
            WITH picked AS MATERIALIZED (
                SELECT id FROM messages
                WHERE endpoint_id IS NOT DISTINCT FROM $1 AND state IN ('pending', 'inflight')
                  AND due_at <= $2 AND deadline > $2
                  AND (NOT $3 OR COALESCE(sink, 'callback') <> 'callback')
                ORDER BY due_at LIMIT $4
                FOR UPDATE SKIP LOCKED
            )
            UPDATE messages m
            SET state = 'inflight', lease_owner = $5, lease_token = m.lease_token + 1, due_at = $6,
                updated_at = $2, url = CASE WHEN m.purpose = 'delivery' THEN COALESCE($7, m.url) ELSE m.url END
            FROM picked WHERE m.id = picked.id
            RETURNING \(StoreColumns.qualified(StoreColumns.message, "m")), m.lease_token, m.round_start
            """
    }
}

extension PostgresDriver {
    /// Runs `statement` prepared, with the binds `bind` appends in its order.
    func rows<Statement: HotStatement>(_ statement: Statement.Type, _ connection: PostgresConnection,
                                       _ bind: (inout PostgresBindings) throws -> Void = { _ in }) async throws -> [PostgresRow] {
        var bindings = PostgresBindings()
        try bind(&bindings)
        statementsSent.add(1, ordering: .relaxed)
        var rows: [PostgresRow] = []
        do {
            for try await row in try await connection.execute(Prepared<Statement>(bindings: bindings), logger: logger) { rows.append(row) }
        } catch let error as PSQLError where error.code == .server {
            // PostgresNIO keeps a failed preparation (a lock timeout or a cancel while it waited) for the connection's
            // life and answers every later use with it: the connection is closed instead, and the pool replaces it.
            try? await connection.close()
            throw error
        }
        return rows
    }
}
