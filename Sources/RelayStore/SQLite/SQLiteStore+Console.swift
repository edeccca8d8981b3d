import Foundation
import GRDB

extension SQLiteStore {
    public func revokeConsoleSession(nonce: String, expiresAt: Date, now: Date) async throws {
        try await committer.write { db in
            try db.cachedExecute(sql: "DELETE FROM console_revocations WHERE expires_at < ?", arguments: [now.timeIntervalSince1970])
            try db.cachedExecute(sql: "INSERT OR REPLACE INTO console_revocations (nonce, expires_at) VALUES (?, ?)",
                                 arguments: [nonce, expiresAt.timeIntervalSince1970])
        }
    }

    public func isConsoleSessionRevoked(nonce: String) async throws -> Bool {
        try await pool.read { db in
            try Int.fetchOneCached(db, sql: "SELECT 1 FROM console_revocations WHERE nonce = ?", arguments: [nonce]) != nil
        }
    }
}
