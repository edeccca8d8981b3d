import Foundation
import Logging
import PostgresNIO
import RelayCore
import RelayStore

/// The stores every store and end-to-end test runs against: one suite, two stores.
public enum StoreKind: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }
}

/// Where a test's store lives: a fresh SQLite file, or a fresh PostgreSQL database.
public enum StoreLocation: Sendable {
    case sqlite(path: String)
    case postgres(url: String)

    /// For the binary: the `RELAY_DATABASE` value.
    public var databaseSetting: String {
        switch self {
        case .sqlite(let path): "sqlite:" + path
        case .postgres(let url): url
        }
    }
}

public enum TestStores {
    /// The server `make test` started (scripts/with-postgres.sh).
    public static let postgresVariable = "RELAY_TEST_POSTGRES_URL"

    /// A new, empty place for a store of `kind`.
    public static func fresh(_ kind: StoreKind) async throws -> StoreLocation {
        switch kind {
        case .sqlite:
            return .sqlite(path: FileManager.default.temporaryDirectory
                .appendingPathComponent("relay-test-\(UUID().uuidString)/relay.sqlite").path)
        case .postgres:
            return .postgres(url: try await PostgresDatabases.shared.create())
        }
    }

    /// Opens (without migrating) the store at `location`.
    public static func open(_ location: StoreLocation, circuit: CircuitBreaker = CircuitBreaker(),
                            logger: Logger = quietLogger) throws -> any RelayStore {
        switch location {
        case .sqlite(let path): try StoreEngine.sqlite(path: path, circuit: circuit, logger: logger)
        case .postgres(let url): try StoreEngine.postgres(url: url, circuit: circuit, maxConnections: 4, logger: logger)
        }
    }

    /// A fresh, migrated store of `kind`.
    public static func make(_ kind: StoreKind, circuit: CircuitBreaker = CircuitBreaker()) async throws -> any RelayStore {
        let store = try open(try await fresh(kind), circuit: circuit)
        try await store.migrate()
        return store
    }

    public static var quietLogger: Logger {
        var logger = Logger(label: "test-store")
        logger.logLevel = .critical
        return logger
    }
}

/// Creates one database per test on the server `make test` started, so tests never see each other's rows.
public actor PostgresDatabases {
    public static let shared = PostgresDatabases()
    private var admin: PostgresClient?
    private var runner: Task<Void, Never>?

    public func create() async throws -> String {
        guard let base = ProcessInfo.processInfo.environment[TestStores.postgresVariable], !base.isEmpty else {
            throw TestStoreError("\(TestStores.postgresVariable) is not set: run the tests with `make test`, which starts a throwaway PostgreSQL")
        }
        let client = try adminClient(base)
        let name = "relay_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        guard var components = URLComponents(string: base) else { throw TestStoreError("bad \(TestStores.postgresVariable)") }
        components.path = "/" + name
        return components.string!
    }

    private func adminClient(_ url: String) throws -> PostgresClient {
        if let admin { return admin }
        var configuration = try PostgresLocation(url: url).clientConfiguration
        configuration.options.maximumConnections = 4
        let client = PostgresClient(configuration: configuration, backgroundLogger: TestStores.quietLogger)
        runner = Task { await client.run() }
        admin = client
        return client
    }
}

public struct TestStoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
