import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RelayHTTP
import NIOHTTP1
import RelayCore
import RelayStore
import RelayTestSupport
import Testing

/// Garbage on every route that reads a body: a clear 4xx, never a 5xx or a crash, nothing stored.
@Suite struct HostileInputTests {
    /// Every body-reading route with the token it needs.
    static let routes: [(path: String, token: String?, header: [String: String])] = [
        ("/api/v1/requests", TestRelay.submitToken, ["Idempotency-Key": "hostile"]),
        ("/approve", TestRelay.submitToken, [:]),
        ("/execute", TestRelay.submitToken, [:]),
        ("/api/v1/endpoints", TestRelay.adminToken, [:]),
        ("/api/v1/dead-letters/replay", TestRelay.adminToken, [:]),
        ("/approvals/webhook", TestRelay.callbackToken, [:]),
        ("/executors/webhook", TestRelay.callbackToken, [:]),
        ("/api/v1/mcp/approver/callback", TestRelay.callbackToken, [:]),
        ("/callbacks/unknown-token", nil, [:]),
    ]

    static let bodies: [(name: String, bytes: Data)] = [
        ("nested 100,000 deep, within the size limit", Data(String(repeating: "[", count: 100_000).utf8) + Data(String(repeating: "]", count: 100_000).utf8)),
        ("nested objects", Data(("{\"kind\":\"approval\",\"arguments\":" + String(repeating: "{\"a\":", count: 20_000) + "1" + String(repeating: "}", count: 20_000) + "}").utf8)),
        ("invalid UTF-8", Data([0x7B, 0x22, 0x6B, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D])),
        ("truncated JSON", Data(#"{"kind":"approval","correlation_id":"#.utf8)),
        ("a JSON string", Data(#""just a string""#.utf8)),
        ("wrong types everywhere", Data(#"{"kind":7,"correlation_id":[],"tool":{},"decision":false,"status":1,"name":null,"dry_run":"yes"}"#.utf8)),
        ("NUL bytes", Data([0x00, 0x00, 0x7B, 0x00, 0x7D])),
        ("over the size limit", Data(repeating: 0x20, count: 300_000)),
    ]

    @Test(arguments: StoreKind.allCases) func garbageOnEveryRouteIsAClear4xxAndStoresNothing(_ store: StoreKind) async throws {
        let relay = try await TestRelay.start(store: store)
        var tried = 0
        for route in Self.routes {
            for body in Self.bodies {
                let answer = try await call(.POST, relay.baseURL + route.path, token: route.token, headers: route.header, body: body.bytes)
                tried += 1
                #expect((400..<500).contains(answer.status), "\(route.path) with \(body.name): \(answer.status) \(answer.text.prefix(200))")
                if body.name == "over the size limit" { #expect(answer.status == 413, "\(route.path)") }
            }
        }
        #expect(try await call(.GET, relay.baseURL + "/healthz").status == 200, "still alive")
        let counts = try await relay.store.outboxCounts()
        #expect(counts.byState.values.reduce(0, +) == 0, "nothing stored half-way")
        #expect(try await relay.store.endpoints().isEmpty)
        print("hostile input (\(store)): \(tried) bodies on \(Self.routes.count) routes, all 4xx")
        await relay.stop()
    }
}

/// Bodies that never finish and headers past the decoder's limit: a closed connection or a 4xx.
@Suite struct StalledInputTests {
    /// Sends `bytes` on a raw connection and returns what came back before the server closed it (or
    /// `timeout` passed: nil).
    static func exchange(port: Int, _ bytes: [UInt8], timeout: Int) -> String? {
        guard let fd = RawConnection.open(port: port) else { return nil }
        defer { close(fd) }
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return String(decoding: received, as: UTF8.self) }  // closed by the server
            if count < 0 { return nil }  // timed out, still open
            received += buffer[0..<count]
        }
    }

    @Test func aStalledBodyIsCutOffAndAnOversizedHeaderRefused() async throws {
        var settings = RelaySettings(adminToken: TestRelay.adminToken, submitToken: TestRelay.submitToken,
                                     callbackToken: TestRelay.callbackToken)
        settings.idleTimeout = 1
        let relay = try await TestRelay.start(settings: settings)
        let stalled = "POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestRelay.submitToken)\r\n"
            + "Idempotency-Key: stall\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"kind\":\"appro"
        let started = ContinuousClock.now
        let port = relay.port
        let cut = await offPool { Self.exchange(port: port, Array(stalled.utf8), timeout: 10) }
        #expect(cut != nil, "the server closed the stalled connection")
        #expect(ContinuousClock.now - started < .seconds(8))
        let huge = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 200_000) + "\r\n\r\n"
        let answer = await offPool { Self.exchange(port: port, Array(huge.utf8), timeout: 10) }
        #expect(answer.map { $0.isEmpty || $0.hasPrefix("HTTP/1.1 4") } == true, "\(answer?.prefix(80) ?? "no answer")")
        #expect(try await call(.GET, relay.baseURL + "/healthz").status == 200, "still serving")
        #expect(try await relay.store.outboxCounts().byState.values.reduce(0, +) == 0)
        #expect(try await relay.store.timeline(idOrCorrelationId: "stall") == nil)
        await relay.stop()
    }
}
