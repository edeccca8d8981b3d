import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import RelayCore

/// `webhook-relay sample-control-plane`: a stand-in control plane that prints every decision the relay
/// forwards to it. Contract A (yaml-mcp-server's `/approvals/webhook`, `/executors/webhook`) gets 200;
/// contract B (codex-k8s's `/api/v1/mcp/{approver,executor}/callback`) gets 200 with an `approval_state`.
struct SampleControlPlane: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-control-plane",
        abstract: "Run a stand-in control plane that prints the decisions it receives (for trying the relay out)."
    )

    @Option(help: "HOST:PORT to listen on.") var listen = "127.0.0.1:9091"

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ValidationError("--listen must be HOST:PORT")
        }
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var copy = request
            let body = try await copy.collectBody(upTo: 1024 * 1024)
            let text = String(buffer: body)
            FileHandle.standardOutput.write(Data("decision received at \(request.uri.path): \(text)\n".utf8))
            guard request.uri.path.hasPrefix("/api/v1/mcp/") else { return Response(status: .ok) }
            let decision = JSONValue.parse(Data(text.utf8))?["decision"]?.stringValue ?? "requested"
            let state = decision == "approved" ? "applied" : decision
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"approval_state":"\#(state)"}"#)))
        }
        router.post("/", use: handler)
        router.post("**", use: handler)
        var logger = Logger(label: "sample-control-plane")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(String(listen[..<colon]), port: port)), logger: logger)
        FileHandle.standardOutput.write(Data("sample control plane listening on \(listen)\n".utf8))
        try await app.runService()
    }
}
