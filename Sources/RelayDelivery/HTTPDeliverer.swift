import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import RelayCore
import RelayStore
import Synchronization

/// Sends one attempt of a message over HTTP: signed, with its idempotency key, never following redirects,
/// and bounded: one deadline covers connect, request, response head and body, and the body is read only
/// up to `bodyLimit` (SPEC §11).
public struct HTTPDeliverer: Sendable {
    let client: HTTPClient
    let userAgent: String
    let egress: EgressGuard
    /// The most of an answer's body the relay reads (a synchronous executor's `result` can be large); past
    /// it the connection is closed and the attempt fails.
    let bodyLimit: Int

    public init(client: HTTPClient, egress: EgressGuard, bodyLimit: Int = 256 * 1024,
                userAgent: String = "WebhookRelay/\(RelayVersion.current)") {
        self.client = client
        self.egress = egress
        self.bodyLimit = bodyLimit
        self.userAgent = userAgent
    }

    /// An HTTP client configured the way every delivery needs: no redirects, connect timeout, a pool of
    /// `connectionsPerHost` connections to each host (the dispatcher's own limits, per endpoint and in all,
    /// are what bound deliveries in flight: the pool must be at least the largest of them, since endpoints
    /// sharing a host share its pool), the egress guard checking every new connection's peer address.
    public static func makeClient(connectTimeout: TimeInterval, connectionsPerHost: Int, egress: EgressGuard) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(connectTimeout * 1000)))
        )
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, connectionsPerHost)
        // A refused connection fails its attempt at once (SPEC §16): the relay's own retry policy and circuit
        // breaker decide when to try again. AsyncHTTPClient's own connect retries would hold every queued
        // attempt for the whole connect timeout and then report the last socket error.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        // The relay makes each attempt's span itself, under the parent stored with the message (`RelayTracing`): the
        // client's own would be a new trace per attempt, and would not send that parent on.
        configuration.tracing.tracer = nil
        egress.install(on: &configuration)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// One attempt: the answer and its body. Signs with a fresh timestamp.
    public func send(
        url: String, messageId: String, body: Data, secrets: [WebhookSecret], headers: [String: String],
        timeout: TimeInterval, now: Date
    ) async -> DeliveryAnswer {
        let milliseconds = Int(timeout * 1000)
        // One deadline for the whole attempt, kept by the HTTP client on its event loop (so a busy machine's
        // task scheduling cannot make an answer that arrived in time look late). The name lookup of the
        // egress pre-check counts against it too.
        let deadline = NIODeadline.now() + .milliseconds(Int64(milliseconds))
        switch await egress.refusal(for: url, within: .milliseconds(Int64(milliseconds))) {
        case .refused(let reason): return .transportFailure(.refusedAddress(reason))
        case .lookupTimedOut: return .transportFailure(.timeout("name lookup did not finish within \(milliseconds) ms"))
        case .allowed: break
        }
        var fields = HTTPHeaders()
        for (name, value) in headers { fields.replaceOrAdd(name: name, value: value) }
        let timestamp = Int(now.timeIntervalSince1970)
        fields.replaceOrAdd(name: "Content-Type", value: "application/json")
        fields.replaceOrAdd(name: "User-Agent", value: userAgent)
        fields.replaceOrAdd(name: "Idempotency-Key", value: messageId)
        fields.replaceOrAdd(name: "webhook-id", value: messageId)
        fields.replaceOrAdd(name: "webhook-timestamp", value: String(timestamp))
        if !secrets.isEmpty {
            fields.replaceOrAdd(
                name: "webhook-signature",
                value: WebhookSigner.signature(id: messageId, timestamp: timestamp, body: body, secrets: secrets)
            )
        }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: .POST, headers: fields, body: .byteBuffer(ByteBuffer(bytes: body)))
        } catch {
            return .transportFailure(.other("the URL cannot be requested: \(error)"))
        }
        let answer = BoundedAnswer(limit: bodyLimit)
        do {
            let response = try await client.execute(request: request, delegate: answer, deadline: deadline).futureResult.get()
            return .response(status: response.status, retryAfter: response.retryAfter, body: response.body)
        } catch is BoundedAnswer.TooLarge {
            return .transportFailure(.bodyTooLarge(limit: bodyLimit))
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            return .transportFailure(.timeout(answer.headReceived
                ? "the answer's body did not finish within \(milliseconds) ms"
                : "no answer within \(milliseconds) ms"))
        } catch {
            return .transportFailure(TransportErrorMapping.failure(for: error))
        }
    }
}

/// Collects an answer up to `limit` bytes on the HTTP client's event loop; past it (announced or
/// received) the request fails, which closes the connection.
final class BoundedAnswer: HTTPClientResponseDelegate {
    struct Response: Sendable {
        var status: Int
        var retryAfter: String?
        var body: Data
    }

    struct TooLarge: Error {}

    private struct State {
        var head: HTTPResponseHead?
        var body = Data()
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    var headReceived: Bool { state.withLock { $0.head != nil } }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        if let announced = head.headers.first(name: "Content-Length").flatMap(Int.init), announced > limit {
            return task.eventLoop.makeFailedFuture(TooLarge())
        }
        state.withLock { $0.head = head }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let fits = state.withLock { state -> Bool in
            guard state.body.count + buffer.readableBytes <= limit else { return false }
            state.body.append(contentsOf: buffer.readableBytesView)
            return true
        }
        return fits ? task.eventLoop.makeSucceededVoidFuture() : task.eventLoop.makeFailedFuture(TooLarge())
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        try state.withLock { state in
            guard let head = state.head else { throw HTTPClientError.remoteConnectionClosed }
            return Response(status: Int(head.status.code), retryAfter: head.headers.first(name: "Retry-After"), body: state.body)
        }
    }
}

/// Maps AsyncHTTPClient / NIO errors onto the relay's transport failure kinds.
enum TransportErrorMapping {
    static func failure(for error: any Error) -> TransportFailure {
        if let refused = error as? EgressRefused { return .refusedAddress(refused.reason) }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .timeout("no answer in time")
            case .connectTimeout: return .timeout("connect did not finish in time")
            case .tlsHandshakeTimeout: return .timeout("TLS handshake did not finish in time")
            default: break
            }
        }
        if isRefused(error) { return .refused(String(describing: error)) }
        let text = String(describing: error)
        if text.contains("NXDOMAIN") || text.contains("resolution") || text.contains("lookup") || text.contains("getaddrinfo") {
            return .dns(text)
        }
        if text.contains("SSL") || text.contains("TLS") || text.contains("handshake") {
            return .tls(text)
        }
        if text.contains("connect") || text.contains("ECONNREFUSED") {
            return .connect(text)
        }
        return .other(text)
    }

    /// ECONNREFUSED from the socket, however NIO wrapped it (one address tried, or several).
    static func isRefused(_ error: any Error) -> Bool {
        if let io = error as? IOError { return io.errnoCode == ECONNREFUSED }
        if let connection = error as? NIOConnectionError {
            return !connection.connectionErrors.isEmpty
                && connection.connectionErrors.allSatisfy { isRefused($0.error) }
        }
        return String(describing: error).contains("Connection refused")
    }
}
