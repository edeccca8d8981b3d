import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// A quick probe of a release-built relay: durable submits/s (endpoint disabled, so only the store
/// works), then deliveries/s (the endpoint enabled, the backlog drained to a loopback endpoint
/// answering 204). The relay runs as its own process, as in production.
@main
struct RelayProbe {
    static func main() async throws {
        let arguments = CommandLine.arguments
        let binary = arguments.count > 1 ? arguments[1] : ".build/release/webhook-relay"
        let seconds = arguments.count > 2 ? Double(arguments[2])! : 10
        let concurrency = 64

        let received = Counter()
        let sink = try await startSink(received: received)
        let port = Int.random(in: 20000...60000)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-probe-\(UUID().uuidString)")
        let relay = Process()
        relay.executableURL = URL(fileURLWithPath: binary)
        relay.arguments = ["serve"]
        // RELAY_PROBE_DATABASE (e.g. a postgres:// URL of an empty database) replaces the temporary SQLite file.
        let database = ProcessInfo.processInfo.environment["RELAY_PROBE_DATABASE"] ?? "sqlite:\(folder.path)/relay.sqlite"
        print("store: \(database.hasPrefix("sqlite:") ? "SQLite" : "PostgreSQL")")
        relay.environment = [
            "RELAY_DATABASE": database, "RELAY_LISTEN": "127.0.0.1:\(port)",
            "RELAY_CALLBACK_KEY": Data(repeating: 3, count: 32).base64EncodedString(),
            "RELAY_ADMIN_TOKEN": "probe-admin", "RELAY_SUBMIT_TOKEN": "probe-submit", "RELAY_LOG_LEVEL": "error",
        ]
        try relay.run()
        defer { relay.terminate() }
        let base = "http://127.0.0.1:\(port)"
        var client = HTTPClient.Configuration()
        client.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: client)
        for _ in 0..<200 {
            if (try? await send(http, .GET, base + "/healthz", token: nil)) == 200 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let endpoint = #"{"name":"sink","role":"approver","url":"http://127.0.0.1:\#(sink.port)/","concurrency":\#(concurrency)}"#
        _ = try await send(http, .POST, base + "/api/v1/endpoints", token: "probe-admin", body: endpoint)
        _ = try await send(http, .POST, base + "/api/v1/endpoints/sink/disable", token: "probe-admin")

        // 1. Durable submits/s: nothing is delivered, every answer waited for its fsync'd commit.
        let accepted = Counter()
        let start = ContinuousClock.now
        let stopAt = start + .seconds(seconds)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var index = 0
                    while ContinuousClock.now < stopAt {
                        index += 1
                        let id = "p-\(worker)-\(index)"
                        let body = #"{"kind":"approval","correlation_id":"\#(id)","tool":"probe","justification":"probe justification","approval_request":"probe approval request","risk_assessment":"probe risk assessment","callback":{"url":"http://127.0.0.1:9/cb"},"endpoints":["sink"]}"#
                        if try await send(http, .POST, base + "/api/v1/requests", token: "probe-submit", key: id, body: body) == 202 {
                            accepted.increment()
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let submitted = accepted.value
        let submitSeconds = (ContinuousClock.now - start).seconds
        print(String(format: "durable submits/s: %.0f  (%d in %.1f s, %d concurrent clients, SQLite synchronous=FULL)",
                     Double(submitted) / submitSeconds, submitted, submitSeconds, concurrency))

        // 2. Deliveries/s: drain the backlog to a loopback endpoint answering 204.
        let drainStart = ContinuousClock.now
        _ = try await send(http, .POST, base + "/api/v1/endpoints/sink/enable", token: "probe-admin")
        while received.value < submitted && ContinuousClock.now - drainStart < .seconds(300) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let drainSeconds = (ContinuousClock.now - drainStart).seconds
        let delivered = received.value
        print(String(format: "deliveries/s:      %.0f  (%d in %.1f s, endpoint concurrency %d)",
                     Double(delivered) / drainSeconds, delivered, drainSeconds, concurrency))
        // 3. Approval round trips: submit → delivery → the adapter calls back → forward received, one at a time.
        let cycles = arguments.count > 3 ? Int(arguments[3])! : 1000
        let latencies = try await roundTrips(http: http, base: base, cycles: cycles)
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        print(String(format: "approval round trip (submit → decision at the control plane), %d cycles: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
                     latencies.count, percentile(0.5), percentile(0.9), percentile(0.99), latencies.last ?? 0))
        try await http.shutdown()
        await sink.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    static func send(_ http: HTTPClient, _ method: HTTPMethod, _ url: String, token: String?, key: String? = nil,
                     body: String? = nil) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let key { request.headers.add(name: "Idempotency-Key", value: key) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    /// Runs `cycles` approvals one after another through a loopback adapter that calls back at once and a
    /// loopback control plane; returns each cycle's milliseconds, sorted.
    static func roundTrips(http: HTTPClient, base: String, cycles: Int) async throws -> [Double] {
        let arrivals = Arrivals()
        let router = Router()
        router.post("/approve") { request, _ -> Response in
            var copy = request
            let body = try await copy.collectBody(upTo: 1 << 20)
            let payload = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            let callback = (payload?["callback"] as? [String: Any])?["url"] as? String
            let correlation = payload?["correlation_id"] as? String ?? ""
            if let callback {
                Task.detached {
                    _ = try await send(http, .POST, callback, token: nil,
                                       body: #"{"correlation_id":"\#(correlation)","decision":"approve","reason":"probe"}"#)
                }
            }
            return Response(status: .accepted)
        }
        router.post("/decisions") { request, _ -> Response in
            var copy = request
            let body = try await copy.collectBody(upTo: 1 << 20)
            let payload = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            arrivals.arrived(payload?["correlation_id"] as? String ?? "")
            return Response(status: .ok)
        }
        let peer = try await startServer(router)
        let adapter = #"{"name":"cycle","role":"approver","url":"http://127.0.0.1:\#(peer.port)/approve","tools":["cycle_*"]}"#
        _ = try await send(http, .POST, base + "/api/v1/endpoints", token: "probe-admin", body: adapter)
        var latencies: [Double] = []
        for index in 0..<cycles {
            let id = "cycle-\(index)"
            let body = #"{"kind":"approval","correlation_id":"\#(id)","tool":"cycle_tool","justification":"probe justification","approval_request":"probe approval request","risk_assessment":"probe risk assessment","callback":{"url":"http://127.0.0.1:\#(peer.port)/decisions"}}"#
            let start = ContinuousClock.now
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                arrivals.expect(id, continuation)
                Task {
                    do {
                        let status = try await send(http, .POST, base + "/api/v1/requests", token: "probe-submit", key: id, body: body)
                        if status != 202 { arrivals.fail(id, status) }
                    } catch {
                        arrivals.fail(id, 0)
                    }
                }
            }
            latencies.append((ContinuousClock.now - start).seconds * 1000)
        }
        await peer.stop()
        return latencies.sorted()
    }

    struct Sink {
        let port: Int
        let group: ServiceGroup
        let task: Task<Void, any Error>
        func stop() async {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }
    }

    static func startSink(received: Counter) async throws -> Sink {
        let router = Router()
        router.post("/") { request, _ -> Response in
            var copy = request
            _ = try await copy.collectBody(upTo: 1 << 20)
            received.increment()
            return Response(status: .noContent)
        }
        return try await startServer(router)
    }

    static func startServer(_ router: Router<BasicRequestContext>) async throws -> Sink {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "sink")
        logger.logLevel = .error
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        return Sink(port: await iterator.next() ?? 0, group: group, task: task)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A shared counter for concurrent tasks.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
}

/// Waiters for forwarded decisions, by correlation id.
final class Arrivals: Sendable {
    private let waiting = Mutex<[String: CheckedContinuation<Void, any Error>]>([:])

    func expect(_ id: String, _ continuation: CheckedContinuation<Void, any Error>) {
        waiting.withLock { $0[id] = continuation }
    }

    func arrived(_ id: String) {
        waiting.withLock { $0.removeValue(forKey: id) }?.resume()
    }

    func fail(_ id: String, _ status: Int) {
        waiting.withLock { $0.removeValue(forKey: id) }?.resume(throwing: ProbeError(message: "submit of \(id) answered \(status)"))
    }
}

struct ProbeError: Error {
    var message: String
}
