import Foundation
import Logging
import RelayCore
import Synchronization

/// The one store: every state change is decided here, once, as values (`StoreWrite`), and executed by a
/// backend (`StoreDriver`) that only speaks its dialect. SQLite and PostgreSQL differ in how they lock and
/// wake, never in what a submit, a decision or a completion does.
public final class StoreEngine: RelayStore {
    let driver: any StoreDriver
    /// When a failing endpoint is paused and probed.
    let circuit: CircuitBreaker
    /// Whether this process has returned what an earlier one left in flight (a database owned alone).
    let leftoversReclaimed = Atomic<Bool>(false)

    public init(driver: any StoreDriver, circuit: CircuitBreaker = CircuitBreaker()) {
        self.driver = driver
        self.circuit = circuit
    }

    public func migrate() async throws { try await driver.migrate() }
    public func isReady() async -> Bool { await driver.isReady() }
    public func close() async throws { try await driver.close() }
    public func dueSignals() -> AsyncStream<Void> { driver.dueSignals() }
    public func decisionSignals() -> AsyncStream<String> { driver.decisionSignals() }
    public func backup(to path: String) async throws -> BackupSummary { try await driver.backup(to: path) }

    func write<Result: Sendable>(_ step: StoreStep<Result>) async throws -> Result {
        try await driver.perform(step, access: .write)
    }

    func read<Result: Sendable>(_ step: StoreStep<Result>) async throws -> Result {
        try await driver.perform(step, access: .read)
    }

    /// A read-only operation of one query.
    func read<Result: Sendable>(_ query: StoreQuery, _ extract: @escaping @Sendable (StoreValue) throws -> Result) async throws -> Result {
        try await read(.read(query) { .done(try extract($0)) })
    }
}

extension StoreEngine {
    /// Opens the embedded store: one SQLite file in WAL mode, writes grouped into shared transactions.
    public static func sqlite(path: String, synchronous: SQLiteDriver.Synchronous = .full, circuit: CircuitBreaker = CircuitBreaker(),
                              logger: Logger = Logger(label: "relay.store")) throws -> StoreEngine {
        StoreEngine(driver: try SQLiteDriver(path: path, synchronous: synchronous, logger: logger), circuit: circuit)
    }

    /// Connects lazily to the scale-out store at `url` (`postgres://user:password@host:port/database?sslmode=…`).
    public static func postgres(url: String, circuit: CircuitBreaker = CircuitBreaker(), maxConnections: Int = 20,
                                leaseTimeout: Duration = .seconds(5), operationTimeout: Duration = .seconds(30),
                                logger: Logger = Logger(label: "relay.store")) throws -> StoreEngine {
        StoreEngine(driver: try PostgresDriver(url: url, maxConnections: maxConnections, leaseTimeout: leaseTimeout,
                                               operationTimeout: operationTimeout, logger: logger), circuit: circuit)
    }
}
