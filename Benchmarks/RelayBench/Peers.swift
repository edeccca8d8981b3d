import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// A loopback HTTP server of the benchmark (the ceiling's 204 server, the adapter, the control plane).
struct LoopbackServer {
    let port: Int
    let group: ServiceGroup
    let task: Task<Void, any Error>

    static func start(_ router: Router<BasicRequestContext>) async throws -> LoopbackServer {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "bench-peer")
        logger.logLevel = .error
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        return LoopbackServer(port: await iterator.next() ?? 0, group: group, task: task)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Arrival times by correlation id, and a count, shared by a peer's handlers and the scenario.
final class Arrivals: Sendable {
    private let state = Mutex<(count: Int, times: [String: ContinuousClock.Instant], waiters: [String: CheckedContinuation<Void, Never>])>((0, [:], [:]))
    let recordTimes: Bool

    init(recordTimes: Bool = false) {
        self.recordTimes = recordTimes
    }

    var count: Int { state.withLock { $0.count } }

    func arrived(_ id: String) {
        let now = ContinuousClock.now
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.count += 1
            if recordTimes, state.times[id] == nil { state.times[id] = now }
            return state.waiters.removeValue(forKey: id)
        }
        waiter?.resume()
    }

    func time(of id: String) -> ContinuousClock.Instant? { state.withLock { $0.times[id] } }

    /// Waits until `id` arrives (registered before the request that leads to it is sent).
    func wait(for id: String) async {
        await withCheckedContinuation { continuation in
            state.withLock { $0.waiters[id] = continuation }
        }
    }
}

enum Peers {
    /// Answers 204 to every POST: the ceiling's server and the delivery sink.
    static func sink(_ arrivals: Arrivals) async throws -> LoopbackServer {
        let router = Router()
        router.post("/") { request, _ -> Response in
            var copy = request
            let body = try await copy.collectBody(upTo: 1 << 20)
            if arrivals.recordTimes { arrivals.arrived(Self.correlationId(in: body) ?? "") } else { arrivals.arrived("") }
            return Response(status: .noContent)
        }
        return try await LoopbackServer.start(router)
    }

    /// An approver that answers 202 and calls the capability URL back at once; a control plane at
    /// `/decisions` that records each forwarded decision.
    static func approvalPeers(http: HTTPClient, forwards: Arrivals) async throws -> LoopbackServer {
        let router = Router()
        router.post("/approve") { request, _ -> Response in
            var copy = request
            let body = try await copy.collectBody(upTo: 1 << 20)
            let payload = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            if let callback = (payload?["callback"] as? [String: Any])?["url"] as? String {
                Task.detached {
                    _ = try? await HTTP.send(http, .POST, callback, body: #"{"decision":"approve","reason":"bench"}"#)
                }
            }
            return Response(status: .accepted)
        }
        router.post("/decisions") { request, _ -> Response in
            var copy = request
            let body = try await copy.collectBody(upTo: 1 << 20)
            forwards.arrived(Self.correlationId(in: body) ?? "")
            return Response(status: .ok)
        }
        return try await LoopbackServer.start(router)
    }

    /// The correlation id of a delivery or forward body, found without parsing the whole JSON.
    static func correlationId(in body: ByteBuffer) -> String? {
        let text = String(buffer: body)
        guard let key = text.range(of: #""correlation_id":""#) else { return nil }
        let rest = text[key.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}

enum HTTP {
    static func client(concurrency: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    @discardableResult
    static func send(_ http: HTTPClient, _ method: HTTPMethod, _ url: String, token: String? = nil, key: String? = nil,
                     body: String? = nil) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let key { request.headers.add(name: "Idempotency-Key", value: key) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}

/// A counter shared by concurrent workers.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
