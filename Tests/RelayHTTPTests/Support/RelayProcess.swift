import Foundation
import RelayTestSupport
#if canImport(Glibc)
import Glibc
#endif
import NIOHTTP1
import Testing

/// The `webhook-relay serve` binary as an operator runs it, its log (standard error) captured to a file.
final class RelayProcess: Sendable {
    let process: Process
    let baseURL: String
    let logFile: URL

    private init(process: Process, baseURL: String, logFile: URL) {
        self.process = process
        self.baseURL = baseURL
        self.logFile = logFile
    }

    /// Starts the relay on `port` (default: a free one) on 127.0.0.1 with `environment` on top of a fresh SQLite file.
    /// `folder` holds the SQLite file and the log: pass the one of an earlier process to restart on its data.
    static func start(environment: [String: String], port: Int? = nil, arguments: [String] = [],
                      folder: URL? = nil) async throws -> RelayProcess {
        let folder = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("relay-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let logFile = folder.appendingPathComponent("relay.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let port = try port ?? freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        process.arguments = ["serve"] + arguments
        process.currentDirectoryURL = CommandLineTests.packageRoot
        process.environment = [
            "PATH": "/usr/bin:/bin", "RELAY_LISTEN": "127.0.0.1:\(port)",
            "RELAY_DATABASE": "sqlite:" + folder.appendingPathComponent("relay.sqlite").path,
            // Many relays share the test server: a few connections each keep it under its limit.
            "RELAY_POSTGRES_MAX_CONNECTIONS": "6",
        ].merging(environment) { $1 }
        process.standardError = try FileHandle(forWritingTo: logFile)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let relay = RelayProcess(process: process, baseURL: "http://127.0.0.1:\(port)", logFile: logFile)
        try await eventually("the relay answering", timeout: .seconds(30)) {
            try #require(process.isRunning, "the relay exited at start-up (status \(process.terminationStatus)); its log: \(logFile.path)")
            return (try? await call(.GET, relay.baseURL + "/healthz"))?.status == 200
        }
        return relay
    }

    var port: Int { Int(baseURL.split(separator: ":").last!)! }
    var folder: URL { logFile.deletingLastPathComponent() }

    /// SIGKILL: the process dies on the spot, leases and all.
    func kill() async {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        let process = self.process
        await offPool { process.waitUntilExit() }
    }

    /// SIGTERM, then the exit status.
    func stop() async -> Int32 {
        process.terminate()
        let process = self.process
        await offPool { process.waitUntilExit() }
        return process.terminationStatus
    }

    /// The SQLite database and its write-ahead log, as bytes on disk.
    var databaseBytes: Data {
        let database = logFile.deletingLastPathComponent().appendingPathComponent("relay.sqlite")
        var bytes = (try? Data(contentsOf: database)) ?? Data()
        bytes.append((try? Data(contentsOf: URL(fileURLWithPath: database.path + "-wal"))) ?? Data())
        return bytes
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
}
