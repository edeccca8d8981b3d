import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// What a stand-in peer received: the raw body bytes and every header.
struct ReceivedRequest: Sendable {
    var path: String
    var headers: HTTPFields
    var body: Data
    var receivedAt: Date

    func header(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { headers[$0] }
    }
}

/// A scripted answer of a stand-in peer.
struct CannedAnswer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields = [:]
    var body: String = ""
    /// Holds the answer back this long (to play a slow or hanging peer).
    var delay: Duration = .zero

    static let accepted = CannedAnswer(status: .accepted, body: #"{"decision":"pending","reason":"queued"}"#)
    static func status(_ code: Int, body: String = "") -> CannedAnswer {
        CannedAnswer(status: .init(code: code), body: body)
    }
}

/// A real HTTP server on 127.0.0.1 (ephemeral port) playing an adapter or a control plane: it records
/// every request and answers from a script.
final class StandInServer: Sendable {
    let port: Int
    private let received = Mutex<[ReceivedRequest]>([])
    private let script = Mutex<[CannedAnswer]>([])
    private let fallback = Mutex<CannedAnswer>(.accepted)
    /// When set, decides every answer from the request (a peer with behaviour, not a script).
    private let responder = Mutex<(@Sendable (ReceivedRequest) -> CannedAnswer)?>(nil)
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    var url: String { "http://127.0.0.1:\(port)" }

    /// Every request so far, oldest first.
    var requests: [ReceivedRequest] { received.withLock { $0 } }

    /// Answers the next requests with `answers` in order, then with `fallback`.
    func answer(_ answers: [CannedAnswer], then fallback: CannedAnswer? = nil) {
        script.withLock { $0.append(contentsOf: answers) }
        if let fallback { self.fallback.withLock { $0 = fallback } }
    }

    private init(port: Int, task: Task<Void, any Error>, group: ServiceGroup) {
        self.port = port
        self.task = task
        self.group = group
    }

    /// A scripted answer first (a test forcing one outcome), then the peer's behaviour, then the fallback.
    private func next(for request: ReceivedRequest) -> CannedAnswer {
        received.withLock { $0.append(request) }
        if let scripted = script.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return scripted }
        if let responder = responder.withLock({ $0 }) { return responder(request) }
        return fallback.withLock { $0 }
    }

    /// Starts on `port` (default: any free one); a peer that was down comes back on its old port.
    static func start(_ fallback: CannedAnswer = .accepted, port: Int = 0) async throws -> StandInServer {
        let box = ServerBox()
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var copy = request
            let body = try await copy.collectBody(upTo: 16 * 1024 * 1024)
            let received = ReceivedRequest(path: request.uri.path, headers: request.headers,
                                           body: Data(body.readableBytesView), receivedAt: Date())
            let answer = box.server!.next(for: received)
            if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
            return Response(status: answer.status, headers: answer.headers,
                            body: .init(byteBuffer: ByteBuffer(string: answer.body)))
        }
        router.post("/", use: handler)
        router.post("**", use: handler)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "stand-in")
        logger.logLevel = .error
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = portStream.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        let server = StandInServer(port: port, task: task, group: group)
        server.fallback.withLock { $0 = fallback }
        box.server = server
        return server
    }

    /// Answers every request through `respond` from now on (a scripted answer still goes first).
    func respond(_ respond: @escaping @Sendable (ReceivedRequest) -> CannedAnswer) {
        responder.withLock { $0 = respond }
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Lets the route reach the server object created after the router.
private final class ServerBox: @unchecked Sendable {
    var server: StandInServer?
}
