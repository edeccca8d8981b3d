import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// Peers that go away and come back (issue 6): nothing is lost.
@Suite struct OutageTests {
    @Test(arguments: StoreKind.allCases) func anAdapterDownMostOfItsRetryWindowGetsTheDeliveryWhenBack(_ store: StoreKind) async throws {
        let port = try freePort()  // nothing listens here yet: every attempt is refused
        let relay = try await TestRelay.start(
            store: store, retry: RetryPolicy(base: 0.05, cap: 0.4, maxAttempts: 12, attemptTimeout: 1, connectTimeout: 1)
        )
        _ = try await registerEndpoint(relay, name: "tg", url: "http://127.0.0.1:\(port)/approve")
        _ = try await submit(relay, "c-outage")
        // AsyncHTTPClient retries a refused connect within the connect timeout, so each attempt takes about 1 s.
        try await eventually("three refused attempts", timeout: .seconds(30)) {
            try await firstMessage(relay, "c-outage")["attempt_count"]?.int64Value ?? 0 >= 3
        }
        let adapter = try await StandInServer.start(.accepted, port: port)
        try await eventually("delivered once the adapter is back", timeout: .seconds(30)) {
            try await firstMessage(relay, "c-outage")["state"] == "delivered"
        }
        let attempts = try await firstMessage(relay, "c-outage")["attempts"]?.arrayValue ?? []
        #expect(attempts.dropLast().allSatisfy { $0["outcome"] == "retryable" }, "\(attempts.map { $0["error"] })")
        // At least once: an attempt that timed out while the adapter came up may have reached it too.
        #expect(!adapter.requests.isEmpty && Set(adapter.requests.map { $0.header("webhook-id") ?? "?" }).count == 1)
        await relay.stop()
        await adapter.stop()
    }
}
