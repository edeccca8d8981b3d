import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// Deliveries through real HTTP to a loopback stand-in adapter.
@Suite struct DeliveryTests {
    @Test(arguments: StoreKind.allCases) func deliversSignedWithItsIdempotencyKeyAndStaticHeaders(_ store: StoreKind) async throws {
        try await withHarness(store: store, ) { relay, adapter in
            let endpoint = try await registerEndpoint(relay, name: "tg", url: adapter.url + "/approve",
                                                      extra: ["headers": ["Authorization": "Bearer adapter-secret"]])
            let answer = try await submit(relay, "c-signed", extra: ["x_passthrough": ["kept": true]])
            #expect(answer.status == 202)
            let messageId = try #require(answer.json?["messages"]?.arrayValue?.first?["id"]?.stringValue)
            try await eventually("the delivery") { adapter.requests.count == 1 }
            let received = adapter.requests[0]
            #expect(received.path == "/approve")
            #expect(received.header("Content-Type") == "application/json")
            #expect(received.header("User-Agent")?.hasPrefix("WebhookRelay/") == true)
            #expect(received.header("Idempotency-Key") == messageId)
            #expect(received.header("webhook-id") == messageId)
            #expect(received.header("Authorization") == "Bearer adapter-secret")
            let timestamp = try #require(received.header("webhook-timestamp"))
            #expect(abs(Double(timestamp)! - Date().timeIntervalSince1970) < 60)
            let signature = try expectedSignature(secret: endpoint.secret, id: messageId, timestamp: timestamp, body: received.body)
            #expect(received.header("webhook-signature") == signature)
            let body = try #require(JSONValue.parse(received.body))
            #expect(body["correlation_id"] == "c-signed" && body["x_passthrough"] == ["kept": true] && body["kind"] == nil)
            try await eventually("delivered state") { try await firstMessage(relay, "c-signed")["state"] == "delivered" }
            let message = try await firstMessage(relay, "c-signed")
            #expect(message["attempts"]?.arrayValue?.first?["status_code"] == 202)
            #expect(message["attempts"]?.arrayValue?.first?["response_excerpt"]?.stringValue?.contains("pending") == true)
        }
    }

    /// A retry is signed anew: its timestamp is the time of that attempt (so a receiver's replay window
    /// does not refuse a late retry), its id is the same, and its signature covers the new timestamp.
    @Test(arguments: StoreKind.allCases) func everyAttemptIsSignedWithAFreshTimestamp(_ store: StoreKind) async throws {
        let clock = ManualClock()
        try await withHarness(store: store, .accepted, script: [.status(503), .status(503)], clock: clock) { relay, adapter in
            let endpoint = try await registerEndpoint(relay, name: "tg", url: adapter.url + "/approve")
            #expect(try await submit(relay, "c-fresh").status == 202)
            for attempt in 1...3 {
                try await eventually("attempt \(attempt)") { adapter.requests.count == attempt }
                if attempt < 3 {
                    try await eventually("attempt \(attempt) recorded") { try await firstMessage(relay, "c-fresh")["state"] == "pending" }
                    clock.advance(by: 100)  // past the retry's due time (the test relay's cap is 1 s)
                    relay.poke()
                }
            }
            let timestamps = try adapter.requests.map { try #require(Int($0.header("webhook-timestamp") ?? "")) }
            #expect(timestamps[1] - timestamps[0] >= 100 && timestamps[2] - timestamps[1] >= 100, "\(timestamps)")
            #expect(Set(adapter.requests.map { $0.header("webhook-id") }).count == 1)
            for received in adapter.requests {
                let id = try #require(received.header("webhook-id")), timestamp = try #require(received.header("webhook-timestamp"))
                #expect(received.header("webhook-signature") == (try expectedSignature(secret: endpoint.secret, id: id, timestamp: timestamp, body: received.body)))
            }
        }
    }

    @Test(arguments: StoreKind.allCases) func duringARotationBothSecretsSignAndBothVerify(_ store: StoreKind) async throws {
        try await withHarness(store: store, ) { relay, adapter in
            let endpoint = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            let rotated = try await call(.POST, relay.baseURL + "/api/v1/endpoints/tg/rotate-secret", token: TestRelay.adminToken)
            #expect(rotated.status == 200)
            let newSecret = try #require(rotated.json?["secret"]?.stringValue)
            #expect(newSecret != endpoint.secret && rotated.json?["previous_secret_expires_at"] != nil)
            _ = try await submit(relay, "c-rotate")
            try await eventually("the delivery") { adapter.requests.count == 1 }
            let received = adapter.requests[0]
            let id = try #require(received.header("webhook-id"))
            let timestamp = try #require(received.header("webhook-timestamp"))
            let signatures = try #require(received.header("webhook-signature")).split(separator: " ").map(String.init)
            #expect(signatures == [
                try expectedSignature(secret: newSecret, id: id, timestamp: timestamp, body: received.body),
                try expectedSignature(secret: endpoint.secret, id: id, timestamp: timestamp, body: received.body),
            ])
            // The official library accepts the delivery with either secret, and refuses a stranger's.
            #expect(try await officialVerification(secret: newSecret, received: received) == nil)
            #expect(try await officialVerification(secret: endpoint.secret, received: received) == nil)
            #expect(try await officialVerification(secret: WebhookSecret.generate().description, received: received) != nil)
        }
    }

    @Test(arguments: [400, 401, 403, 404, 405, 413, 422])
    func permanentAnswersDeadLetterAfterOneAttempt(status: Int) async throws {
        try await withHarness(.status(status)) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            _ = try await submit(relay, "c-\(status)")
            try await eventually("the dead letter") { try await firstMessage(relay, "c-\(status)")["state"] == "dead" }
            let message = try await firstMessage(relay, "c-\(status)")
            #expect(message["dead_reason"] == "permanent" && message["attempt_count"] == 1)
            #expect(adapter.requests.count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases) func goneDisablesTheEndpointAndLaterMessagesWait(_ store: StoreKind) async throws {
        try await withHarness(store: store, .status(410)) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            _ = try await submit(relay, "c-gone")
            try await eventually("the dead letter") { try await firstMessage(relay, "c-gone")["state"] == "dead" }
            let endpoint = try await call(.GET, relay.baseURL + "/api/v1/endpoints/tg", token: TestRelay.adminToken)
            #expect(endpoint.json?["enabled"] == false)
            #expect(endpoint.json?["disabled_reason"]?.stringValue?.contains("410") == true)
            // A disabled endpoint keeps its messages: a submit naming it is stored, not delivered, until re-enabled.
            adapter.answer([], then: .accepted)
            _ = try await submit(relay, "c-after-gone", extra: ["endpoints": ["tg"]])
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await firstMessage(relay, "c-after-gone")["state"] == "pending")
            #expect(try await call(.POST, relay.baseURL + "/api/v1/endpoints/tg/enable", token: TestRelay.adminToken).status == 200)
            try await eventually("delivery after enable") { try await firstMessage(relay, "c-after-gone")["state"] == "delivered" }
        }
    }

    @Test(arguments: StoreKind.allCases) func redirectsAreNotFollowedAndRetried(_ store: StoreKind) async throws {
        try await withHarness(store: store, script: [CannedAnswer(status: .found, headers: [.location: "/elsewhere"])]) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url + "/approve")
            _ = try await submit(relay, "c-redirect")
            try await eventually("delivered after the redirect") { try await firstMessage(relay, "c-redirect")["state"] == "delivered" }
            #expect(adapter.requests.map(\.path) == ["/approve", "/approve"])
            let attempts = try #require(try await firstMessage(relay, "c-redirect")["attempts"]?.arrayValue)
            #expect(attempts.first?["status_code"] == 302 && attempts.first?["outcome"] == "retryable")
        }
    }

    @Test(arguments: [
        #"{"decision":"error","reason":"failed to send telegram message"}"#, "", #"{"status":"error","result":"boom"}"#,
    ])
    func retryableAnswersAreRetriedUntilDelivered(body: String) async throws {
        try await withHarness(script: [body.isEmpty ? .status(503) : CannedAnswer(status: .accepted, body: body)]) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            _ = try await submit(relay, "c-retry")
            try await eventually("the retry") { try await firstMessage(relay, "c-retry")["state"] == "delivered" }
            #expect(adapter.requests.count == 2)
            #expect(Set(adapter.requests.compactMap { $0.header("webhook-id") }).count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases) func alreadyExistsCountsAsDelivered(_ store: StoreKind) async throws {
        try await withHarness(store: store, CannedAnswer(status: .accepted, body: #"{"decision":"error","reason":"approval already exists"}"#)) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            _ = try await submit(relay, "c-exists")
            try await eventually("delivered") { try await firstMessage(relay, "c-exists")["state"] == "delivered" }
            #expect(adapter.requests.count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases) func attemptsStopAtTheEndpointsCap(_ store: StoreKind) async throws {
        try await withHarness(store: store, .status(503)) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url, extra: ["max_attempts": 3])
            _ = try await submit(relay, "c-cap")
            try await eventually("exhausted") { try await firstMessage(relay, "c-cap")["state"] == "dead" }
            #expect(try await firstMessage(relay, "c-cap")["dead_reason"] == "exhausted")
            #expect(adapter.requests.count == 3)
        }
    }

    @Test(arguments: StoreKind.allCases) func timeoutsAreRetryableFailures(_ store: StoreKind) async throws {
        try await withHarness(store: store, script: [CannedAnswer(status: .accepted, delay: .seconds(3))]) { relay, adapter in
            // 1 s: well under the scripted 3 s answer, well over an exchange on a loaded CI machine (at 300 ms
            // the retries themselves timed out there, all five, and the message went dead).
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url, extra: ["timeout_ms": 1000])
            _ = try await submit(relay, "c-timeout")
            try await eventually("delivered after a timeout", timeout: .seconds(30)) { try await firstMessage(relay, "c-timeout")["state"] == "delivered" }
            let attempts = try #require(try await firstMessage(relay, "c-timeout")["attempts"]?.arrayValue)
            #expect(attempts.first?["error"] == "timed out: no answer within 1000 ms")
        }
    }
}
