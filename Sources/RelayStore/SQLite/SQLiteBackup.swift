import Foundation
import GRDB

/// What a backup holds: enough to tell an operator it is the copy they meant.
public struct BackupSummary: Sendable, Equatable {
    /// The last schema version it records.
    public var schemaVersion: String
    public var requests: Int
    /// Messages still to deliver (pending or in flight): a restored relay delivers them, with their ids.
    public var pendingMessages: Int

    public init(schemaVersion: String, requests: Int, pendingMessages: Int) {
        self.schemaVersion = schemaVersion
        self.requests = requests
        self.pendingMessages = pendingMessages
    }
}

/// SPEC §17 for the embedded store: a consistent copy of a live database through SQLite's online backup (one
/// read transaction, so every write either is in the copy whole or not at all), and its way back.
public enum SQLiteBackup {
    /// Copies the database `pool` reads into a new file at `path`, made 0600 before anything is written to it.
    static func write(from pool: DatabasePool, to path: String) throws -> BackupSummary {
        let manager = FileManager.default
        guard !manager.fileExists(atPath: path) else {
            throw StoreError.conflict("\(path) exists already: a backup never overwrites a file; give another path")
        }
        guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.unavailable("cannot create \(path): check that its folder exists and is writable")
        }
        do {
            let copy = try DatabaseQueue(path: path)
            try pool.backup(to: copy)
            try copy.close()
        } catch {
            try? manager.removeItem(atPath: path)
            throw error
        }
        return try inspect(path)
    }

    /// What the file at `path` holds, refusing anything but a relay database this release can run: a backup
    /// of a newer release records versions it does not know.
    public static func inspect(_ path: String) throws -> BackupSummary {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notFound("there is no file \(path)") }
        var configuration = Configuration()
        configuration.readonly = true
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StoreError.conflict("\(path) is not a SQLite database: \(error)")
        }
        defer { try? queue.close() }
        return try queue.read { db in
            guard try db.tableExists("grdb_migrations") else {
                throw StoreError.conflict("\(path) is not a webhook-relay database: it records no schema version")
            }
            let recorded = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            let known = Migrations.all.map(\.version)
            if let unknown = recorded.first(where: { !known.contains($0) }) {
                throw StoreError.conflict("\(path) records schema version \(unknown), which this release does not know: restore it with the release that made it")
            }
            guard let last = known.last(where: recorded.contains) else {
                throw StoreError.conflict("\(path) records no schema version of the relay")
            }
            let check = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "?"
            guard check == "ok" else { throw StoreError.conflict("\(path) fails SQLite's integrity check: \(check)") }
            return BackupSummary(
                schemaVersion: last, requests: try Int.fetchOne(db, sql: "SELECT count(*) FROM requests") ?? 0,
                pendingMessages: try Int.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE state IN ('pending', 'inflight')") ?? 0
            )
        }
    }

    /// Puts the backup at `backup` in place of the database at `database` (no relay may have it open: the caller
    /// holds its serve lock). A database already there is moved aside, with its -wal and -shm, to
    /// `<database>.replaced-<unix seconds>`, never deleted. The copy lands under a temporary name in the same
    /// folder and is renamed into place, so a crash leaves the old database or the new one, not half of one.
    public static func restore(_ backup: String, to database: String, now: Date) throws -> (summary: BackupSummary, movedAside: String?) {
        let summary = try inspect(backup)
        let manager = FileManager.default
        try SQLiteFiles.prepare(path: database)
        let staging = database + ".restoring"
        try? manager.removeItem(atPath: staging)
        guard manager.createFile(atPath: staging, contents: nil, attributes: [.posixPermissions: 0o600]),
              let source = FileHandle(forReadingAtPath: backup), let target = FileHandle(forWritingAtPath: staging) else {
            throw StoreError.unavailable("cannot copy \(backup) into \(URL(fileURLWithPath: database).deletingLastPathComponent().path)")
        }
        while let chunk = try source.read(upToCount: 1 << 20), !chunk.isEmpty { try target.write(contentsOf: chunk) }
        try target.synchronize()
        try target.close()
        try source.close()
        var movedAside: String?
        let size = (try? manager.attributesOfItem(atPath: database)[.size] as? Int) ?? 0
        if size > 0 {
            let aside = "\(database).replaced-\(Int(now.timeIntervalSince1970))"
            for suffix in ["", "-wal", "-shm"] where manager.fileExists(atPath: database + suffix) {
                try manager.moveItem(atPath: database + suffix, toPath: aside + suffix)
            }
            movedAside = aside
        } else {
            for suffix in ["-wal", "-shm"] { try? manager.removeItem(atPath: database + suffix) }
        }
        if manager.fileExists(atPath: database) { try manager.removeItem(atPath: database) }
        try manager.moveItem(atPath: staging, toPath: database)
        return (summary, movedAside)
    }
}

extension SQLiteDriver {
    public func backup(to path: String) async throws -> BackupSummary {
        try SQLiteBackup.write(from: pool, to: path)
    }
}
