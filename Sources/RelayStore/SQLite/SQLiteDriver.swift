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
    let decisions = DecisionBroadcast()

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
        case .write:
            let (result, decided) = try await committer.write { db in try Self.run(step, db) }
            // Only now is the decision visible to a reader: a waiter woken earlier would read the old state.
            if !decided.isEmpty { decisions.yield(decided) }
            return result
        case .read:
            return try await pool.read { db in try Self.run(step, db) }.result
        }
    }

    /// The chain of steps, in the one transaction `db` is in; with the requests it resolved (`notifyDecided`).
    static func run<Result>(_ first: StoreStep<Result>, _ db: Database) throws -> (result: Result, decided: [String]) {
        var step = first
        var decided: [String] = []
        while true {
            switch step {
            case .read(let query, let next): step = try next(try answer(query, db))
            case .write(let writes, let next):
                for case .notifyDecided(let id) in writes { decided.append(id) }
                step = try next(try writes.map { try execute($0, db) })
            case .done(let result): return (result, decided)
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

    /// Decisions committed by this process (the one `serve` that owns the file; a command-line cancel beside it is
    /// found by the waiters' own re-reads).
    public func decisionSignals() -> AsyncStream<String> {
        decisions.subscribe()
    }
}
