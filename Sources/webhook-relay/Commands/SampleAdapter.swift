import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import RelayCore

/// `webhook-relay sample-adapter`: a minimal contract-A adapter for trying the relay out. It answers
/// `POST /approve` and `POST /execute` the way the Telegram adapters do (202 pending), prints each
/// delivery, checks its signature when given the endpoint's secret, and, with `--decide`, plays the
/// human: after a pause it calls the request's `callback.url` back with a decision (an executor request
/// gets the option `--choose` picks, or `--custom` text). Every other path answers 404.
struct SampleAdapter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-adapter",
        abstract: "Run a minimal approver/executor adapter that prints what it receives (for trying the relay out)."
    )

    @Option(help: "HOST:PORT to listen on.") var listen = "127.0.0.1:9090"
    @Option(help: "The endpoint's whsec_ secret; when given, each delivery's signature is checked.") var secret: String?
    @Option(help: "Call back with this decision: approve or deny (executor requests: an option). Default: only print.")
    var decide: String?
    @Option(help: "Milliseconds to wait before calling back.") var afterMs = 500
    @Option(help: "The option index an executor request's answer picks.") var choose = 0
    @Option(help: "A custom text answer for executor requests instead of an option.") var custom: String?

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
                let payload = JSONValue.parse(body)
                let correlation = payload?["correlation_id"]?.stringValue ?? "?"
                say("received \(path) webhook-id=\(id) correlation_id=\(correlation) signature=\(verdict)")
                if let decide, let payload, let callback = payload["callback"]?["url"]?.stringValue {
                    let answer = path == "/approve" ? approverDecision(decide, payload) : executorAnswer(payload)
                    Task { await callBack(callback, answer, afterMs: afterMs) }
                }
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

    func approverDecision(_ decide: String, _ payload: JSONValue) -> JSONValue {
        ["correlation_id": payload["correlation_id"] ?? nil, "decision": .string(decide),
         "reason": .string("\(decide)d by the sample adapter"), "tool": payload["tool"] ?? nil]
    }

    /// What telegram-executor sends when the human picks an option or types an answer.
    func executorAnswer(_ payload: JSONValue) -> JSONValue {
        let options = payload["arguments"]?["options"]?.arrayValue ?? []
        let question = payload["arguments"]?["question"] ?? nil
        let result: JSONValue
        if let custom {
            result = ["question": question, "selected_option": .string(custom), "selected_index": nil, "custom": true, "input_mode": "text"]
        } else {
            let index = min(max(choose, 0), max(options.count - 1, 0))
            result = ["question": question, "selected_option": options.isEmpty ? nil : options[index],
                      "selected_index": .integer(Int64(index)), "custom": false, "input_mode": "button"]
        }
        return ["correlation_id": payload["correlation_id"] ?? nil, "status": "success", "result": result,
                "tool": payload["tool"]?["name"] ?? nil]
    }
}

private func callBack(_ url: String, _ body: JSONValue, afterMs: Int) async {
    try? await Task.sleep(for: .milliseconds(afterMs))
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(bytes: body.encoded()))
    do {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let answer = try await response.body.collect(upTo: 1 << 20)
        say("called back \(String(decoding: body.encoded(), as: UTF8.self)) -> \(response.status.code) \(String(buffer: answer))")
    } catch {
        say("callback failed: \(error)")
    }
}

/// Writes one line to standard output unbuffered, so a pipe or a log file sees each delivery at once.
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
