import Foundation
import RelayStore

/// SPEC §17 where the configuration is known: which database and which callback key a backup takes and a
/// restore puts back. The key goes with the database (`<backup>.key`), because a restored relay must derive
/// the same callback URLs, or every adapter holding one of a pending request would get 404.
public enum RelayBackup {
    public struct Written: Sendable {
        public var summary: BackupSummary
        /// Where the callback key was copied, when it lives in a file beside the database.
        public var keyCopy: String?
    }

    /// A consistent copy of the configured store at `path` (and its key file at `path.key`), while `serve` runs.
    public static func write(_ configuration: RelayConfiguration, store: any RelayStore, to path: String) async throws -> Written {
        let summary = try await store.backup(to: path)
        guard let keyFile = configuration.callbackKeyFile, FileManager.default.fileExists(atPath: keyFile.path) else {
            return Written(summary: summary, keyCopy: nil)
        }
        let copy = path + ".key"
        try writeSecret(try Data(contentsOf: keyFile), to: copy,
                        else: "the database was copied to \(path), but the callback key could not be written to \(copy)")
        return Written(summary: summary, keyCopy: copy)
    }

    public struct Restored: Sendable {
        public var summary: BackupSummary
        public var database: String
        /// Where the database that was there before went.
        public var movedAside: String?
        public var keyRestored: Bool
    }

    /// Puts the backup at `path` (and `path.key`, when there is one) in place of the configured SQLite store. The
    /// relay must be stopped: the serve lock is taken for the duration, so a running `serve` makes this refuse.
    public static func restore(_ configuration: RelayConfiguration, from path: String, now: Date = Date()) throws -> Restored {
        guard case .sqlite(let database) = configuration.database else {
            throw ConfigurationError("webhook-relay restore puts back a SQLite backup; restore a PostgreSQL store with pg_restore (README, Backup and restore)")
        }
        let lock = try configuration.lockForServing()
        defer { withExtendedLifetime(lock) {} }
        let restored: (summary: BackupSummary, movedAside: String?)
        do {
            restored = try SQLiteBackup.restore(path, to: database, now: now)
        } catch let error as StoreError {
            throw ConfigurationError(error.description)
        }
        var keyRestored = false
        if let keyFile = configuration.callbackKeyFile, FileManager.default.fileExists(atPath: path + ".key") {
            let key = try Data(contentsOf: URL(fileURLWithPath: path + ".key"))
            if FileManager.default.fileExists(atPath: keyFile.path), let current = try? Data(contentsOf: keyFile), current != key {
                try FileManager.default.moveItem(at: keyFile, to: keyFile.appendingPathExtension("replaced-\(Int(now.timeIntervalSince1970))"))
            }
            try writeSecret(key, to: keyFile.path, else: "the database was restored, but the callback key could not be written to \(keyFile.path)")
            keyRestored = true
        }
        return Restored(summary: restored.summary, database: database, movedAside: restored.movedAside, keyRestored: keyRestored)
    }

    /// A key file made 0600 from its first byte (whatever was at `path` is replaced).
    private static func writeSecret(_ data: Data, to path: String, else failure: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError(failure)
        }
    }
}
