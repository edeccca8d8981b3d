import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RelayTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The release-built relay as its own process, as in production, on a fresh store.
final class RelayUnderTest: @unchecked Sendable {
    static let adminToken = "bench-admin-token-local"
    static let submitToken = "bench-submit-token-local"
    let process: Process
    let base: String
    let database: String

    private init(process: Process, base: String, database: String) {
        self.process = process
        self.base = base
        self.database = database
    }

    /// Starts `binary` on `database` (`sqlite:PATH` or a postgres URL) and waits until it answers.
    static func start(_ binary: String, database: String, http: HTTPClient, extra: [String: String] = [:]) async throws -> RelayUnderTest {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve"]
        process.environment = [
            "RELAY_DATABASE": database, "RELAY_LISTEN": "127.0.0.1:\(port)", "RELAY_ADMIN_TOKEN": adminToken,
            "RELAY_SUBMIT_TOKEN": submitToken, "RELAY_LOG_LEVEL": "error",
            "RELAY_CALLBACK_KEY": Data(repeating: 3, count: 32).base64EncodedString(),
            "RELAY_ENDPOINT_CONCURRENCY": "64",
        ].merging(extra) { $1 }
        // OTEL_* of the benchmark's own environment reach the relay: the same run with and without trace export
        // measures what tracing costs.
            .merging(ProcessInfo.processInfo.environment.filter { $0.key.hasPrefix("OTEL_") }) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let relay = RelayUnderTest(process: process, base: "http://127.0.0.1:\(port)", database: database)
        for _ in 0..<600 {
            // A relay that refuses its configuration exits at once; say so instead of waiting for it.
            guard process.isRunning else {
                throw BenchError("the relay at \(binary) exited with status \(process.terminationStatus) before it was ready on \(database); run it by hand to see why")
            }
            if (try? await HTTP.send(http, .GET, relay.base + "/readyz")) == 200 { return relay }
            try await Task.sleep(for: .milliseconds(50))
        }
        relay.stop()
        throw BenchError("the relay at \(binary) did not become ready on \(database)")
    }

    /// Registers the endpoint `name` at `url`, disabled when `paused`.
    func addEndpoint(_ http: HTTPClient, name: String, url: String, paused: Bool = false, concurrency: Int = 64) async throws {
        let body = #"{"name":"\#(name)","role":"approver","url":"\#(url)","concurrency":\#(concurrency),"tools":["\#(name)_*"]}"#
        guard try await HTTP.send(http, .POST, base + "/api/v1/endpoints", token: Self.adminToken, body: body) == 201 else {
            throw BenchError("could not register endpoint \(name)")
        }
        if paused { try await setEnabled(http, name, false) }
    }

    func setEnabled(_ http: HTTPClient, _ name: String, _ enabled: Bool) async throws {
        try await HTTP.send(http, .POST, base + "/api/v1/endpoints/\(name)/\(enabled ? "enable" : "disable")", token: Self.adminToken)
    }

    /// Submits one approval for the endpoint `name` (its tool pattern routes it there); true when accepted.
    func submit(_ http: HTTPClient, id: String, endpoint: String, callback: String = "http://127.0.0.1:9/decisions") async throws -> Bool {
        try await HTTP.send(http, .POST, base + "/api/v1/requests", token: Self.submitToken, key: id,
                            body: Self.approvalBody(id: id, tool: "\(endpoint)_tool", callback: callback, endpoint: endpoint)) == 202
    }

    /// An approval addressed to `endpoint` by name (so a paused endpoint still takes it).
    static func approvalBody(id: String, tool: String, callback: String, endpoint: String? = nil) -> String {
        let endpoints = endpoint.map { #","endpoints":["\#($0)"]"# } ?? ""
        return #"{"kind":"approval","correlation_id":"\#(id)"\#(endpoints),"tool":"\#(tool)","arguments":{"namespace":"bench","name":"db-password"},"justification":"Rotate the database password of the billing service.","approval_request":"Create a secret and inject it into Kubernetes.","risk_assessment":"Low: the old password keeps working for a day.","callback":{"url":"\#(callback)"}}"#
    }

    /// The relay's and PostgreSQL's CPU totals now, to measure what a stretch of a scenario spent.
    func cpuMark() -> CPUMark { CPUMark(relay: process.processIdentifier, postgres: !database.hasPrefix("sqlite:")) }

    /// Resident set size now and at its peak (VmRSS, VmHWM), in MiB.
    var memory: (current: Double, peak: Double) {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Double(line.split(separator: " ").dropFirst().first { !$0.isEmpty } ?? "0") ?? 0) / 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
