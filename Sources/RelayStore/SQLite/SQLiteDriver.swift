import Foundation
import GRDB
import Logging
import RelayCore

/// The embedded backend: one SQLite file in WAL mode through GRDB, writes grouped into shared
/// transactions (group commit). One `serve` owns the file (`ServeLock`), so its single writer serializes
/// every decision without row locks.
public final class SQLiteDriver: StoreDriver {
    let pool: DatabasePool
    let committer: GroupCommitter
    let logger: Logger

    /// How hard SQLite works to make a commit durable.
    public enum Synchronous: String, Sendable {
        /// fsync the WAL on every commit: a committed write survives a power cut. The default.
        case full = "FULL"
        /// fsync only at checkpoints: survives a process crash, not a power cut.
        case normal = "NORMAL"
    }

    /// Opens (creating when missing) the database file at `path`.
    public init(path: String, synchronous: Synchronous = .full, logger: Logger = Logger(label: "relay.store")) throws {
        try SQLiteFiles.prepare(path: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
        }
        self.pool = try DatabasePool(path: path, configuration: configuration)
        self.committer = GroupCommitter(writer: pool)
        self.logger = logger
    }

    public var ownsDatabaseAlone: Bool { true }

    public func perform<Result: Sendable>(_ step: StoreStep<Result>, access: StoreAccess) async throws -> Result {
        switch access {
        case .write: try await committer.write { db in try Self.run(step, db) }
        case .read: try await pool.read { db in try Self.run(step, db) }
        }
    }

    /// The chain of steps, in the one transaction `db` is in.
    static func run<Result>(_ first: StoreStep<Result>, _ db: Database) throws -> Result {
        var step = first
        while true {
            switch step {
            case .read(let query, let next): step = try next(try answer(query, db))
            case .write(let writes, let next): step = try next(try writes.map { try execute($0, db) })
            case .done(let result): return result
            }
        }
    }

    public func migrate() async throws {
        try SQLiteSchema.migrator.migrate(pool)
    }

    public func isReady() async -> Bool {
        do {
            return try await pool.read { db in
                try SQLiteSchema.migrator.hasCompletedMigrations(db)
            }
        } catch {
            logger.warning("store not ready", metadata: ["error": "\(error)"])
            return false
        }
    }

    public func close() async throws {
        try pool.close()
    }

    /// One process owns the file: the in-process wake-up already covers every due message.
    public func dueSignals() -> AsyncStream<Void> {
        AsyncStream { $0.finish() }
    }
}
