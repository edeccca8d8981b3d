import Foundation
import Logging
import PostgresNIO
import RelayCore

/// The scale-out store (SPEC §9): several relay instances on one PostgreSQL database. Claims lock with
/// `FOR UPDATE SKIP LOCKED`, leases carry fencing tokens, a decision locks its request row, and no lock
/// or transaction is ever held across an HTTP call. Wake-ups travel by `NOTIFY`, polling stays the fallback.
public final class PostgresStore: RelayStore {
    let client: PostgresClient
    let logger: Logger
    /// When a failing endpoint is paused and probed.
    let circuit: CircuitBreaker
    private let runner: Task<Void, Never>

    /// Connects lazily to the database at `url` (`postgres://user:password@host:port/database?sslmode=…`).
    public init(url: String, circuit: CircuitBreaker = CircuitBreaker(), maxConnections: Int = 20,
                logger: Logger = Logger(label: "relay.store")) throws {
        var configuration = try PostgresLocation(url: url).clientConfiguration
        configuration.options.maximumConnections = maxConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.circuit = circuit
        self.runner = Task { await client.run() }
    }

    public func migrate() async throws {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLockKey))", logger: self.logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS relay_migrations (version TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)
                """, logger: self.logger)
            let applied = Set(try await connection.query("SELECT version FROM relay_migrations", logger: self.logger)
                .collect().map { try $0.decode(String.self) })
            for migration in PostgresSchema.migrations where !applied.contains(migration.version) {
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                try await connection.query("""
                    INSERT INTO relay_migrations (version, applied_at) VALUES (\(migration.version), \(Date().timeIntervalSince1970))
                    """, logger: self.logger)
                self.logger.info("migration applied", metadata: ["version": "\(migration.version)"])
            }
            return ()
        }
    }

    public func isReady() async -> Bool {
        do {
            let versions = PostgresSchema.migrations.map(\.version)
            let count = try await read { connection in
                try await connection.query("""
                    SELECT count(*) FROM relay_migrations WHERE version = ANY(\(versions))
                    """, logger: self.logger).collect().first?.decode(Int.self) ?? 0
            }
            return count == versions.count
        } catch {
            logger.warning("store not ready", metadata: ["error": "\(String(reflecting: error))"])
            return false
        }
    }

    public func close() async throws {
        runner.cancel()
        await runner.value
    }

    /// Wakes the dispatcher when another instance (or this one) commits a message that is due now.
    public func dueSignals() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let client = self.client
        let logger = self.logger
        let task = Task {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: PostgresSchema.dueChannel) { notifications in
                            continuation.yield(())  // anything committed while not listening is due too
                            for try await _ in notifications { continuation.yield(()) }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("LISTEN for due messages failed; polling covers it until it is back",
                                   metadata: ["error": "\(String(reflecting: error))"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    // MARK: Transactions

    /// Runs `body` in one transaction. A unique-key race, a serialization failure or a deadlock with
    /// another instance rolls back and runs `body` again, which then sees the other side's commit.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var retries = 0
        while true {
            do {
                return try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    do {
                        let value = try await body(connection)
                        try await connection.query("COMMIT", logger: logger)
                        return value
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
            } catch let error as PSQLError where Self.isRace(error) && retries < 5 {
                retries += 1
                logger.debug("transaction raced another one; running it again",
                             metadata: ["sqlstate": "\(error.serverInfo?[.sqlState] ?? "?")"])
            } catch let error as PSQLError where Self.isUnreachable(error) {
                throw StoreError.unavailable("the database cannot be reached right now; try again shortly")
            }
        }
    }

    func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch let error as PSQLError where Self.isUnreachable(error) {
            throw StoreError.unavailable("the database cannot be reached right now; try again shortly")
        }
    }

    /// A lost or refused connection, as opposed to an error in the statement.
    static func isUnreachable(_ error: PSQLError) -> Bool {
        [.connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection].contains(error.code)
            || (error.serverInfo?[.sqlState]).map { $0.hasPrefix("08") || $0 == "57P01" || $0 == "57P03" } == true
    }

    static func isRace(_ error: PSQLError) -> Bool {
        // unique_violation, serialization_failure, deadlock_detected
        ["23505", "40001", "40P01"].contains(error.serverInfo?[.sqlState] ?? "")
    }

    /// Asks every instance's dispatcher to look for due work once this transaction commits.
    func notifyDue(_ connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_notify(\(PostgresSchema.dueChannel), '')", logger: logger)
    }
}
