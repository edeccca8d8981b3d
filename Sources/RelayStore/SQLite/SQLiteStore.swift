import Foundation
import GRDB
import Logging
import RelayCore
import Synchronization

/// The embedded store: one SQLite file in WAL mode through GRDB, writes grouped into shared transactions.
public final class SQLiteStore: RelayStore {
    let pool: DatabasePool
    let committer: GroupCommitter
    let logger: Logger
    /// When a failing endpoint is paused and probed.
    let circuit: CircuitBreaker
    /// Whether this process has returned what an earlier one left in flight (`reclaimLeases`).
    let leftoversReclaimed = Atomic<Bool>(false)

    /// How hard SQLite works to make a commit durable.
    public enum Synchronous: String, Sendable {
        /// fsync the WAL on every commit: a committed write survives a power cut. The default.
        case full = "FULL"
        /// fsync only at checkpoints: survives a process crash, not a power cut.
        case normal = "NORMAL"
    }

    /// Opens (creating when missing) the database file at `path`.
    public init(path: String, synchronous: Synchronous = .full, circuit: CircuitBreaker = CircuitBreaker(),
                logger: Logger = Logger(label: "relay.store")) throws {
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
        self.circuit = circuit
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
}
