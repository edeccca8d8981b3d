import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server of a test's own (scripts/pg-server.sh), for tests that stop and start the database.
/// The script runs on a thread of its own with its output in files: waiting on it must not hold one of
/// the few threads the relay under test runs on, and the server it forks must not inherit a pipe.
public final class PostgresServer: Sendable {
    public let directory: String
    public let port: Int
    public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=disable" }

    public static func start() async throws -> PostgresServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-pg-\(UUID().uuidString)").path
        try await run("init", directory: directory)
        // The port is chosen after initdb, which takes seconds, and again if another test took it meanwhile.
        return try await onFreePort(attempts: 5) { port in
            do {
                try await run("start", directory: directory, String(port))
                return PostgresServer(directory: directory, port: port)
            } catch let error as TestStoreError where error.description.contains("Address already in use") {
                return nil
            }
        }
    }

    private init(directory: String, port: Int) {
        self.directory = directory
        self.port = port
    }

    public func start() async throws { try await Self.run("start", directory: directory, String(port)) }

    /// Stops the server at once, as a crash would.
    public func stop() async throws { try await Self.run("stop", directory: directory) }

    /// posix_spawn and a blocking waitpid: Foundation's Process was seen here never noticing the exit
    /// of a script whose grandchild (the postmaster) lives on.
    private static func spawnAndWait(_ argv: [String], log: String) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else open here may reach the server: the sockets NIO accepts are not close-on-exec, and a
        // postmaster holding a copy of one keeps that connection open after the relay under test closed it.
        guard Self.addCloseFrom(&actions, 3) == 0 else { return -1 }
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        // Durable: the server is stopped as a crash would stop it, and what it acknowledged must survive.
        let environment = ProcessInfo.processInfo.environment.merging(["PG_DURABLE": "1"]) { $1 }
        var cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        guard posix_spawn(&pid, argv[0], &actions, nil, &cArguments, &cEnvironment) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not export.
    private static let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("this glibc has no posix_spawn_file_actions_addclosefrom_np (2.34 or later needed)")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Stops the server and deletes its files.
    public func discard() async {
        try? await stop()
        for path in [directory, directory + ".init.log", directory + ".start.log", directory + ".stop.log"] {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    private static func run(_ command: String, directory: String, _ arguments: String...) async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../scripts/pg-server.sh").standardized.path
        let log = directory + ".\(command).log"
        let argv = ["/bin/bash", script, command, directory] + arguments
        let status = await offPool { spawnAndWait(argv, log: log) }
        guard status == 0 else {
            let printed = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw TestStoreError("pg-server.sh \(command) exited with \(status): \(printed)")
        }
    }
}
