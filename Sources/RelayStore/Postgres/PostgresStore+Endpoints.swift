import Foundation
import PostgresNIO
import RelayCore

extension PostgresStore {
    public func createEndpoint(_ endpoint: Endpoint) async throws {
        do {
            try await transaction { connection in
                try await connection.query("""
                    INSERT INTO endpoints (\(unescaped: StoreColumns.endpoint)) VALUES (\(endpoint.id), \(endpoint.name),
                        \(endpoint.role.rawValue), \(endpoint.url), \(try JSONCoding.encode(endpoint.secrets)),
                        \(try JSONCoding.encode(endpoint.headers)), \(try JSONCoding.encode(endpoint.tools)), \(endpoint.maxAttempts),
                        \(endpoint.timeoutMs), \(endpoint.concurrency), \(endpoint.enabled), \(endpoint.disabledReason),
                        \(endpoint.createdAt.timeIntervalSince1970), \(endpoint.updatedAt.timeIntervalSince1970))
                    """, logger: self.logger)
                return ()
            }
        } catch let error as PSQLError where Self.isRace(error) {
            throw StoreError.conflict("an endpoint named \(endpoint.name) already exists")
        }
    }

    public func endpoints() async throws -> [Endpoint] {
        try await read { connection in
            try await connection.query("SELECT \(unescaped: StoreColumns.endpointRead) FROM endpoints ORDER BY name", logger: self.logger)
                .collect().map(PostgresRows.endpoint)
        }
    }

    public func endpoint(idOrName: String) async throws -> Endpoint? {
        try await read { connection in
            try await connection.query("""
                SELECT \(unescaped: StoreColumns.endpointRead) FROM endpoints WHERE id = \(idOrName) OR name = \(idOrName)
                ORDER BY id = \(idOrName) DESC LIMIT 1
                """, logger: self.logger).collect().first.map(PostgresRows.endpoint)
        }
    }

    public func updateEndpoint(_ endpoint: Endpoint) async throws {
        let taken = try await read { connection in
            try await connection.query("SELECT 1 FROM endpoints WHERE name = \(endpoint.name) AND id <> \(endpoint.id)", logger: self.logger)
                .collect().count
        }
        if taken > 0 { throw StoreError.conflict("an endpoint named \(endpoint.name) already exists") }
        let changed: Int
        do {
            changed = try await transaction { connection in
                try await connection.query("""
                    UPDATE endpoints SET name = \(endpoint.name), role = \(endpoint.role.rawValue), url = \(endpoint.url),
                        secrets = \(try JSONCoding.encode(endpoint.secrets)), headers = \(try JSONCoding.encode(endpoint.headers)),
                        tools = \(try JSONCoding.encode(endpoint.tools)), max_attempts = \(endpoint.maxAttempts),
                        timeout_ms = \(endpoint.timeoutMs), concurrency = \(endpoint.concurrency), enabled = \(endpoint.enabled),
                        disabled_reason = \(endpoint.disabledReason), created_at = \(endpoint.createdAt.timeIntervalSince1970),
                        updated_at = \(endpoint.updatedAt.timeIntervalSince1970)
                    WHERE id = \(endpoint.id)
                    RETURNING 1
                    """, logger: self.logger).collect().count
            }
        } catch let error as PSQLError where Self.isRace(error) {
            throw StoreError.conflict("an endpoint named \(endpoint.name) already exists")
        }
        if changed == 0 { throw StoreError.notFound("no endpoint \(endpoint.id)") }
    }

    public func deleteEndpoint(id: String) async throws {
        try await transaction { connection in
            // Locks the endpoint so no claim hands out a message for it meanwhile.
            let exists = try await connection.query("SELECT 1 FROM endpoints WHERE id = \(id) FOR UPDATE", logger: self.logger).collect()
            guard !exists.isEmpty else { throw StoreError.notFound("no endpoint \(id)") }
            let active = try await connection.query("""
                SELECT count(*) FROM messages WHERE endpoint_id = \(id) AND state IN ('pending', 'inflight')
                """, logger: self.logger).collect().first?.decode(Int.self) ?? 0
            if active > 0 {
                throw StoreError.busy("endpoint \(id) still has \(active) message(s) to deliver; disable it instead, or wait until they finish")
            }
            try await connection.query("DELETE FROM endpoints WHERE id = \(id)", logger: self.logger)
            return ()
        }
    }
}
