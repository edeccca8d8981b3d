import Foundation
import RelayCore
import RelayTestSupport

/// `scripts/otlp-receiver.py` running beside a test: an OTLP/HTTP trace receiver that decodes what it gets with the
/// OpenTelemetry project's own protobuf definitions and keeps every span.
final class OTLPReceiver: Sendable {
    struct Span: Sendable {
        var traceID: String
        var spanID: String
        var parent: String
        var name: String
        /// 1 internal, 2 server, 3 client (the OTLP enum).
        var kind: Int
        var attributes: [String: JSONValue]
    }

    let process: Process
    /// Its standard input: closing it (or this process dying) ends the receiver.
    let lifeline: Pipe
    let port: Int
    let file: URL

    private init(process: Process, lifeline: Pipe, port: Int, file: URL) {
        self.process = process
        self.lifeline = lifeline
        self.port = port
        self.file = file
    }

    static func start() async throws -> OTLPReceiver {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("relay-spans-\(UUID().uuidString).jsonl")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", CommandLineTests.packageRoot.appendingPathComponent("scripts/otlp-receiver.py").path, file.path,
                             "--until-stdin-closes"]
        let lifeline = Pipe()
        process.standardInput = lifeline
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = try await offPool { () -> String in
            var bytes = Data()
            while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { bytes.append(byte) }
            return String(decoding: bytes, as: UTF8.self)
        }
        guard let port = Int(line) else { throw TestStoreError("the OTLP receiver did not start (python3 with opentelemetry-proto is needed)") }
        return OTLPReceiver(process: process, lifeline: lifeline, port: port, file: file)
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    var spans: [Span] {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { JSONValue.parse(Data($0.utf8)) }.compactMap { span in
            guard let trace = span["trace_id"]?.stringValue, let id = span["span_id"]?.stringValue, let name = span["name"]?.stringValue else { return nil }
            return Span(traceID: trace, spanID: id, parent: span["parent"]?.stringValue ?? "", name: name,
                        kind: Int(span["kind"]?.int64Value ?? 0), attributes: span["attributes"]?.objectValue ?? [:])
        }
    }

    /// Closes its lifeline rather than signalling it: the test process may hold SIGTERM blocked, which a child inherits.
    func stop() async {
        try? lifeline.fileHandleForWriting.close()
        let process = self.process
        await offPool { process.waitUntilExit() }
    }
}
