import Logging
import PostgresNIO
import RelayStore

/// Plain SQL on a test's PostgreSQL database, for arranging what no store operation leaves behind (the
/// bookkeeping of an earlier release, say) and reading what none answers.
public enum PostgresSQL {
    /// Runs `statements` in order, each committed on its own.
    public static func execute(_ statements: [String], on url: String) async throws {
        try await withClient(url) { client in
            for statement in statements { try await client.query(PostgresQuery(unsafeSQL: statement)) }
        }
    }

    /// The first column of every row `query` answers, as text.
    public static func texts(_ query: String, on url: String) async throws -> [String] {
        try await withClient(url) { client in
            try await client.query(PostgresQuery(unsafeSQL: query)).collect().map { try $0.decode(String.self) }
        }
    }

    /// A client of one connection for `body`, shut down after it.
    private static func withClient<T: Sendable>(_ url: String, _ body: (PostgresClient) async throws -> T) async throws -> T {
        var configuration = try PostgresLocation(url: url).clientConfiguration
        configuration.options.maximumConnections = 1
        let client = PostgresClient(configuration: configuration, backgroundLogger: TestStores.quietLogger)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
