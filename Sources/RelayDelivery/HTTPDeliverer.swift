import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore
import RelayStore

/// Sends one attempt of a message over HTTP: signed, with its idempotency key, never following redirects.
public struct HTTPDeliverer: Sendable {
    let client: HTTPClient
    let userAgent: String
    let egress: EgressGuard
    /// How much of an answer's body is read to classify it; the rest is drained and dropped.
    static let bodyReadLimit = 64 * 1024

    public init(client: HTTPClient, egress: EgressGuard, userAgent: String = "WebhookRelay/\(RelayVersion.current)") {
        self.client = client
        self.egress = egress
        self.userAgent = userAgent
    }

    /// An HTTP client configured the way every delivery needs: no redirects, connect timeout, a pool
    /// sized to `connectionsPerHost` (the largest per-endpoint concurrency), the egress guard checking
    /// every new connection's peer address.
    public static func makeClient(connectTimeout: TimeInterval, connectionsPerHost: Int, egress: EgressGuard) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(connectTimeout * 1000)))
        )
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, connectionsPerHost)
        configuration.decompression = .disabled
        egress.install(on: &configuration)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// One attempt: the answer and the first bytes of its body. Signs with a fresh timestamp.
    public func send(
        url: String, messageId: String, body: Data, secrets: [WebhookSecret], headers: [String: String],
        timeout: TimeInterval, now: Date
    ) async -> DeliveryAnswer {
        if let reason = await egress.refusal(for: url) { return .transportFailure(.refusedAddress(reason)) }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        let timestamp = Int(now.timeIntervalSince1970)
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.headers.replaceOrAdd(name: "User-Agent", value: userAgent)
        request.headers.replaceOrAdd(name: "Idempotency-Key", value: messageId)
        request.headers.replaceOrAdd(name: "webhook-id", value: messageId)
        request.headers.replaceOrAdd(name: "webhook-timestamp", value: String(timestamp))
        if !secrets.isEmpty {
            request.headers.replaceOrAdd(
                name: "webhook-signature",
                value: WebhookSigner.signature(id: messageId, timestamp: timestamp, body: body, secrets: secrets)
            )
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            var collected = Data()
            for try await chunk in response.body where collected.count < Self.bodyReadLimit {
                collected.append(contentsOf: chunk.readableBytesView.prefix(Self.bodyReadLimit - collected.count))
            }
            return .response(
                status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"),
                body: collected
            )
        } catch {
            return .transportFailure(TransportErrorMapping.failure(for: error))
        }
    }
}

/// Maps AsyncHTTPClient / NIO errors onto the relay's transport failure kinds.
enum TransportErrorMapping {
    static func failure(for error: any Error) -> TransportFailure {
        if let refused = error as? EgressRefused { return .refusedAddress(refused.reason) }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout:
                return .timeout
            default:
                break
            }
        }
        let text = String(describing: error)
        if text.contains("NXDOMAIN") || text.contains("resolution") || text.contains("lookup") || text.contains("getaddrinfo") {
            return .dns(text)
        }
        if text.contains("SSL") || text.contains("TLS") || text.contains("handshake") {
            return .tls(text)
        }
        if text.contains("connect") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return .connect(text)
        }
        return .other(text)
    }
}
