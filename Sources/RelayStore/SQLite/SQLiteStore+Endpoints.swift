import Foundation
import GRDB
import RelayCore

extension SQLiteStore {
    public func createEndpoint(_ endpoint: Endpoint) async throws {
        try await committer.write { db in
            if try Bool.fetchOneCached(db, sql: "SELECT 1 FROM endpoints WHERE name = ?", arguments: [endpoint.name]) == true {
                throw StoreError.conflict("an endpoint named \(endpoint.name) already exists")
            }
            try db.execute(
                sql: "INSERT INTO endpoints (\(SQLiteRows.endpointColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                arguments: try Self.endpointArguments(endpoint)
            )
        }
    }

    public func endpoints() async throws -> [Endpoint] {
        try await pool.read { db in
            try Row.fetchAllCached(db, sql: "SELECT \(SQLiteRows.endpointReadColumns) FROM endpoints ORDER BY name")
                .map(SQLiteRows.endpoint)
        }
    }

    public func endpoint(idOrName: String) async throws -> Endpoint? {
        try await pool.read { db in
            try Self.endpoint(db, idOrName: idOrName)
        }
    }

    static func endpoint(_ db: Database, idOrName: String) throws -> Endpoint? {
        try Row.fetchOneCached(
            db,
            sql: "SELECT \(SQLiteRows.endpointReadColumns) FROM endpoints WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1",
            arguments: [idOrName, idOrName, idOrName]
        ).map(SQLiteRows.endpoint)
    }

    public func updateEndpoint(_ endpoint: Endpoint) async throws {
        try await committer.write { db in
            if try Bool.fetchOneCached(db, sql: "SELECT 1 FROM endpoints WHERE name = ? AND id <> ?",
                                 arguments: [endpoint.name, endpoint.id]) == true {
                throw StoreError.conflict("an endpoint named \(endpoint.name) already exists")
            }
            var arguments = try Self.endpointArguments(endpoint)
            _ = arguments.append(contentsOf: [endpoint.id])
            try db.cachedExecute(sql: """
                UPDATE endpoints SET id = ?, name = ?, role = ?, url = ?, secrets = ?, headers = ?, tools = ?,
                    max_attempts = ?, timeout_ms = ?, concurrency = ?, enabled = ?, disabled_reason = ?,
                    created_at = ?, updated_at = ?
                WHERE id = ?
                """, arguments: arguments)
            if db.changesCount == 0 { throw StoreError.notFound("no endpoint \(endpoint.id)") }
        }
    }

    public func deleteEndpoint(id: String) async throws {
        try await committer.write { db in
            let active = try Int.fetchOneCached(db, sql: """
                SELECT COUNT(*) FROM messages WHERE endpoint_id = ? AND state IN ('pending', 'inflight')
                """, arguments: [id]) ?? 0
            if active > 0 {
                throw StoreError.busy("endpoint \(id) still has \(active) message(s) to deliver; disable it instead, or wait until they finish")
            }
            try db.cachedExecute(sql: "DELETE FROM endpoints WHERE id = ?", arguments: [id])
            if db.changesCount == 0 { throw StoreError.notFound("no endpoint \(id)") }
        }
    }

    static func endpointArguments(_ endpoint: Endpoint) throws -> StatementArguments {
        [
            endpoint.id, endpoint.name, endpoint.role.rawValue, endpoint.url,
            try JSONCoding.encode(endpoint.secrets), try JSONCoding.encode(endpoint.headers),
            try JSONCoding.encode(endpoint.tools), endpoint.maxAttempts, endpoint.timeoutMs, endpoint.concurrency,
            endpoint.enabled, endpoint.disabledReason, endpoint.createdAt.timeIntervalSince1970,
            endpoint.updatedAt.timeIntervalSince1970,
        ]
    }
}
