import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import RelayCore
import Synchronization

/// The scale-out backend: several relay instances on one PostgreSQL database. Claims lock with
/// `FOR UPDATE SKIP LOCKED`, leases carry fencing tokens, a decision locks its request row, and no lock
/// or transaction is ever held across an HTTP call. Wake-ups travel by `NOTIFY`, polling stays the fallback.
public final class PostgresDriver: StoreDriver {
    let client: PostgresClient
    let logger: Logger
    /// How long an operation waits for a pooled connection before it answers `StoreError.unavailable`:
    /// while the database is down the pool keeps trying to connect and would otherwise hold callers
    /// (an HTTP request among them) until it is back.
    let leaseTimeout: Duration
    /// How long a whole operation may take before its caller gets `StoreError.unavailable` (see `withConnection`).
    let operationTimeout: Duration
    /// Where the database listens, for the reachability probe of `withConnection`.
    let address: (host: String, port: Int)
    private let runner: Task<Void, Never>
    /// Statements sent by the engine's operations (BEGIN and COMMIT included): each is a round trip, which is
    /// what an operation costs here. Tests hold the hot paths to their count with it.
    let statementsSent = Atomic<Int>(0)
    public var statements: Int { statementsSent.load(ordering: .relaxed) }

    /// Connects lazily to the database at `url` (`postgres://user:password@host:port/database?sslmode=…`).
    public init(url: String, maxConnections: Int = 20,
                leaseTimeout: Duration = .seconds(5), operationTimeout: Duration = .seconds(30), logger: Logger = Logger(label: "relay.store")) throws {
        let location = try PostgresLocation(url: url)
        var configuration = location.clientConfiguration
        configuration.options.maximumConnections = maxConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.leaseTimeout = leaseTimeout
        self.address = (location.host, location.port)
        self.operationTimeout = max(operationTimeout, leaseTimeout)
        self.runner = Task { await client.run() }
    }

    /// Instances share the database and heartbeat; each takes over a stale one's leases.
    public var ownsDatabaseAlone: Bool { false }

    public func perform<Result: Sendable>(_ step: StoreStep<Result>, access: StoreAccess) async throws -> Result {
        switch access {
        case .write: try await transaction { connection in try await self.run(step, connection) }
        case .read: try await read { connection in try await self.run(step, connection) }
        }
    }

    /// The chain of steps on the one connection (and transaction) `connection` holds.
    func run<Result>(_ first: StoreStep<Result>, _ connection: PostgresConnection) async throws -> Result {
        var step = first
        while true {
            switch step {
            case .read(let query, let next):
                step = try next(try await answer(query, connection))
            case .write(let writes, let next):
                step = try next(try await execute(batch: writes, connection))
            case .done(let result):
                return result
            }
        }
    }

    public func migrate() async throws {
        let logger = self.logger
        try await transaction { connection in try await PostgresSchema.migrate(connection, logger: logger) }
    }

    public func isReady() async -> Bool {
        do {
            let logger = self.logger
            return try await read { connection in try await PostgresSchema.isMigrated(connection, logger: logger) }
        } catch {
            logger.warning("store not ready", metadata: ["error": "\(String(reflecting: error))"])
            return false
        }
    }

    public func close() async throws {
        runner.cancel()
        await runner.value
    }

    /// A PostgreSQL database is backed up with its own tools, consistently while the relay runs (README, "Backup").
    public func backup(to path: String) async throws -> BackupSummary {
        throw StoreError.unsupported("webhook-relay backup copies a SQLite store; back up a PostgreSQL store with pg_dump (README, Backup and restore)")
    }

    /// Wakes the dispatcher when another instance (or this one) commits a message that is due now.
    public func dueSignals() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        // Anything committed while not listening is due too: each (re)connection yields once.
        let notifications = listen(on: PostgresSchema.dueChannel, connected: { continuation.yield(()) }, what: "due messages")
        let task = Task {
            for await _ in notifications { continuation.yield(()) }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The ids of requests resolved by any instance (this one too), as their transactions commit.
    public func decisionSignals() -> AsyncStream<String> {
        // A decision committed while not listening is found by the waiters' own periodic re-read.
        listen(on: PostgresSchema.decidedChannel, connected: {}, what: "decisions")
    }

    /// The payloads of `channel`'s notifications, on a connection of its own, listening again after a failure.
    private func listen(on channel: String, connected: @escaping @Sendable () -> Void, what: String) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4096))
        let client = self.client
        let logger = self.logger
        let task = Task {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: channel) { notifications in
                            connected()
                            for try await notification in notifications { continuation.yield(notification.payload) }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("LISTEN for \(what) failed; polling covers it until it is back",
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
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var retries = 0
        while true {
            do {
                let logger = self.logger
                return try await withConnection { connection in
                    try await self.run("BEGIN", connection)
                    do {
                        let value = try await body(connection)
                        try await self.run("COMMIT", connection)
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

    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await withConnection { connection in try await body(connection) }
        } catch let error as PSQLError where Self.isUnreachable(error) {
            throw StoreError.unavailable("the database cannot be reached right now; try again shortly")
        }
    }

    /// `client.withConnection` with deadlines, so that no caller (an HTTP request, the dispatcher's claim
    /// loop) waits on the database without end:
    /// - after `leaseTimeout` without a pooled connection the database's port is probed, again every
    ///   `leaseTimeout`: a refused probe, or two in a row left unanswered, ends the wait (the pool itself keeps
    ///   retrying a dead server quietly). One unanswered probe is not enough: under load a busy server's
    ///   accept queue drops the first handshake, which is then retried a second later;
    /// - a statement whose connection closed under it is given up a second later: one in flight when the
    ///   server died was seen never to finish (PostgresNIO 1.33.2, server stopped with `-m immediate`);
    /// - `operationTimeout` bounds the whole operation, a reachable but overloaded database included.
    /// An abandoned operation either dies with its connection or, if it commits after all, is covered by
    /// leases (a claim) and idempotency keys (a submit).
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let outcome = OperationOutcome<T>()
        let leased = LeasedConnection()
        let client = self.client
        let (leaseTimeout, operationTimeout, address, logger) = (self.leaseTimeout, self.operationTimeout, self.address, self.logger)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                outcome.start(continuation)
                let watchdog = Task {
                    let started = ContinuousClock.now
                    var nextProbe = started + leaseTimeout
                    var silentProbes = 0
                    var closedAt: ContinuousClock.Instant?
                    var reason: String?
                    try await Task.sleep(for: .milliseconds(500))
                    while reason == nil {
                        let now = ContinuousClock.now
                        if let connection = leased.connection {
                            if connection.isClosed { closedAt = closedAt ?? now }
                            if let closedAt, now - closedAt >= .seconds(1) {
                                reason = "the database connection closed during the operation; try again shortly"
                            }
                        } else if now >= nextProbe {
                            let waited = "\((now - started).components.seconds) s"
                            switch await Self.probe(address) {
                            case .accepting: silentProbes = 0
                            case .refused:
                                reason = "no database connection within \(waited), and a connection to its port fails; try again shortly"
                            case .silent:
                                silentProbes += 1
                                if silentProbes >= 2 {
                                    reason = "no database connection within \(waited), and its port does not answer; try again shortly"
                                }
                            }
                            nextProbe = ContinuousClock.now + leaseTimeout
                        }
                        if reason == nil && now - started >= operationTimeout {
                            reason = "a database operation did not finish within \(operationTimeout); try again shortly"
                        }
                        if reason == nil { try await Task.sleep(for: .milliseconds(250)) }
                    }
                    if let reason, outcome.finish(.failure(StoreError.unavailable(reason))) {
                        logger.warning("database operation given up", metadata: ["reason": "\(reason)"])
                        outcome.cancelWork()
                    }
                }
                let work = Task {
                    defer { watchdog.cancel() }
                    do {
                        let value = try await client.withConnection { connection in
                            leased.set(connection)
                            return try await body(connection)
                        }
                        outcome.finish(.success(value))
                    } catch {
                        outcome.finish(.failure(error))
                    }
                }
                outcome.onCancel { work.cancel() }
            }
        } onCancel: {
            outcome.cancel()
        }
    }

    enum PortProbe { case accepting, refused, silent }

    /// Whether the database's port accepts a TCP connection, refuses it, or leaves it unanswered for two
    /// seconds (long enough for one retransmitted handshake).
    static func probe(_ address: (host: String, port: Int)) async -> PortProbe {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2)).connect(host: address.host, port: address.port).get()
            try? await channel.close()
            return .accepting
        } catch ChannelError.connectTimeout {
            return .silent
        } catch {
            return .refused
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
}

/// The first result of an operation and its deadlines wins; the others are dropped.
private final class OperationOutcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var finished = false
        var cancelled = false
        var cancelWork: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Resumes the caller unless something else already did; true when this call did.
    @discardableResult func finish(_ result: Result<T, any Error>) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
        return continuation != nil
    }

    func onCancel(_ cancelWork: @escaping @Sendable () -> Void) {
        let cancelled = state.withLock { state in
            state.cancelWork = cancelWork
            return state.cancelled
        }
        if cancelled { cancelWork() }
    }

    /// Cancels the work after its caller was answered by a deadline.
    func cancelWork() {
        state.withLock { $0.cancelWork }?()
    }

    /// The caller's task was cancelled: cancel the work, which then finishes with its error.
    func cancel() {
        let cancelWork = state.withLock { state in
            state.cancelled = true
            return state.cancelWork
        }
        cancelWork?()
    }
}

/// The connection the pool handed out, once it has.
private final class LeasedConnection: Sendable {
    private let value = Mutex<PostgresConnection?>(nil)
    func set(_ connection: PostgresConnection) { value.withLock { $0 = connection } }
    var connection: PostgresConnection? { value.withLock { $0 } }
}
