import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import RelayCore

/// `webhook-relay sample-adapter`: a minimal contract-A adapter for trying the relay out. It answers
/// `POST /approve` and `POST /execute` the way the Telegram adapters do (202 pending), prints each
/// delivery, and checks its signature when given the endpoint's secret. Every other path answers 404.
struct SampleAdapter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-adapter",
        abstract: "Run a minimal approver/executor adapter that prints what it receives (for trying the relay out)."
    )

    @Option(help: "HOST:PORT to listen on.") var listen = "127.0.0.1:9090"
    @Option(help: "The endpoint's whsec_ secret; when given, each delivery's signature is checked.") var secret: String?

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ValidationError("--listen must be HOST:PORT")
        }
        let secret = try self.secret.map { text in
            guard let parsed = WebhookSecret(text) else { throw ValidationError("--secret must be a whsec_ secret") }
            return parsed
        }
        let router = Router()
        for (path, field) in [("/approve", "decision"), ("/execute", "status")] {
            router.post(RouterPath(stringLiteral: path)) { request, _ -> Response in
                var copy = request
                let body = Data(try await copy.collectBody(upTo: 1024 * 1024).readableBytesView)
                let id = request.headers[.init("webhook-id")!] ?? "?"
                let timestamp = request.headers[.init("webhook-timestamp")!] ?? "0"
                var verdict = "unchecked (pass --secret to check)"
                if let secret {
                    let expected = WebhookSigner.signature(id: id, timestamp: Int(timestamp) ?? 0, body: body, secrets: [secret])
                    let presented = (request.headers[.init("webhook-signature")!] ?? "").split(separator: " ").map(String.init)
                    verdict = presented.contains(expected) ? "valid" : "INVALID"
                }
                let correlation = JSONValue.parse(body)?["correlation_id"]?.stringValue ?? "?"
                say("received \(path) webhook-id=\(id) correlation_id=\(correlation) signature=\(verdict)")
                let answer = #"{"\#(field)":"pending","\#(field == "decision" ? "reason" : "result")":"queued","correlation_id":"\#(correlation)"}"#
                return Response(status: .accepted, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: answer)))
            }
        }
        var logger = Logger(label: "sample-adapter")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(String(listen[..<colon]), port: port)), logger: logger)
        say("sample adapter listening on \(listen): POST /approve, POST /execute")
        try await app.runService()
    }
}

/// Writes one line to standard output unbuffered, so a pipe or a log file sees each delivery at once.
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
