import Foundation

/// What a backend provides to the engine (River's driver interface is the model): it runs an operation's
/// chain of steps in one transaction, answering each query and write in its dialect, and it owns its
/// schema and connections. It decides nothing: every rule is the engine's.
public protocol StoreDriver: Sendable {
    /// Runs `step` and everything it leads to in one transaction (`.write`) or one consistent read (`.read`).
    func perform<Result: Sendable>(_ step: StoreStep<Result>, access: StoreAccess) async throws -> Result
    /// True when one process owns the database (SQLite under `serve`'s lock): every lease it finds at start
    /// that is not its own was left by an earlier process.
    var ownsDatabaseAlone: Bool { get }
    func migrate() async throws
    func isReady() async -> Bool
    func close() async throws
    /// Yields when another process sharing the database may have made a message due.
    func dueSignals() -> AsyncStream<Void>
    /// Yields the id of each request whose `notifyDecided` write committed, in this process or another sharing the database.
    func decisionSignals() -> AsyncStream<String>
    /// Writes a consistent copy of the database to a new file at `path` while it is in use (SPEC §17).
    func backup(to path: String) async throws -> BackupSummary
}
