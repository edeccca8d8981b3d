import Foundation
import PostgresNIO

extension PostgresStore {
    public func revokeConsoleSession(nonce: String, expiresAt: Date, now: Date) async throws {
        try await transaction { connection in
            try await connection.query("DELETE FROM console_revocations WHERE expires_at < \(now.timeIntervalSince1970)", logger: self.logger)
            try await connection.query("""
                INSERT INTO console_revocations (nonce, expires_at) VALUES (\(nonce), \(expiresAt.timeIntervalSince1970))
                ON CONFLICT (nonce) DO NOTHING
                """, logger: self.logger)
        }
    }

    public func isConsoleSessionRevoked(nonce: String) async throws -> Bool {
        try await read { connection in
            try await connection.query("SELECT 1 FROM console_revocations WHERE nonce = \(nonce)", logger: self.logger)
                .collect().isEmpty == false
        }
    }
}
