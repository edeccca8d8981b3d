import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayHTTP
import RelayTestSupport
import Synchronization
import Testing

/// SPEC §16 with stand-ins that behave as the real telegram-approver, telegram-executor and yaml-mcp-server
/// do (`Support/RealPeerStandIns.swift` names the upstream file each behaviour follows), on both stores.
@Suite struct RealPeersTests {
    /// A relay whose deliveries go to a telegram stand-in and whose decisions go back to a yaml-mcp-server stand-in.
    struct Peers {
        let relay: TestRelay
        let telegram: TelegramAdapterStandIn
        let adapter: StandInServer
        let yaml: YamlMcpServerStandIn
        let yamlServer: StandInServer

        /// What yaml-mcp-server posts to its approver (the drop-in door), its wait started first.
        func toolCall(_ id: String, timeoutSec: Int, wait: Duration) async throws -> Answer {
            yaml.wait(for: id, wait)
            var body = try #require(JSONValue.parse(approvalBody(id, callback: yamlServer.url + "/approvals/webhook"))?.objectValue)
            body["kind"] = nil
            body["timeout_sec"] = .integer(Int64(timeoutSec))
            return try await call(.POST, relay.baseURL + "/approve", token: TestRelay.submitToken, body: json(.object(body)))
        }
    }

    static func withPeers(_ store: StoreKind, clock: any RelayClock = SystemClock(), retry: RetryPolicy? = nil,
                          _ body: (Peers) async throws -> Void) async throws {
        let telegram = TelegramAdapterStandIn()
        let adapter = try await StandInServer.start()
        adapter.respond { telegram.answer($0) }
        let yaml = YamlMcpServerStandIn()
        let yamlServer = try await StandInServer.start()
        yamlServer.respond { yaml.answer($0) }
        let relay = try await TestRelay.start(
            store: store, clock: clock,
            retry: retry ?? RetryPolicy(base: 0.05, cap: 1, maxAttempts: 5, attemptTimeout: 2, connectTimeout: 1)
        )
        _ = try await registerEndpoint(relay, name: "tg", url: adapter.url + "/approve")
        let peers = Peers(relay: relay, telegram: telegram, adapter: adapter, yaml: yaml, yamlServer: yamlServer)
        do { try await body(peers) } catch {
            await relay.stop(); await adapter.stop(); await yamlServer.stop()
            throw error
        }
        await relay.stop(); await adapter.stop(); await yamlServer.stop()
    }

    @Test(arguments: StoreKind.allCases) func aFailedTelegramSendReachesTheCallerAsAnErrorAtOnce(_ store: StoreKind) async throws {
        // The production retry policy (2 s base): the measured time is what a caller would see.
        try await Self.withPeers(store, retry: RetryPolicy(base: 2, cap: 600, maxAttempts: 15, attemptTimeout: 10, connectTimeout: 3)) { peers in
            peers.telegram.telegramDown.store(true, ordering: .relaxed)
            let started = ContinuousClock.now
            #expect(try await peers.toolCall("fs-1", timeoutSec: 600, wait: .seconds(600)).status == 202)
            try await eventually("the error forwarded to the caller", timeout: .seconds(15)) { peers.yaml.decision(of: "fs-1") != nil }
            let decided = try #require(peers.yaml.decision(of: "fs-1"))
            let took = decided.at - started
            #expect(decided.body["decision"] == "error" && decided.body["reason"] == "failed to send telegram message", "\(decided.body)")
            print("failed Telegram send (\(store)): the caller got the error \(took) after its submit (deadline 600 s)")
            #expect(took < .seconds(10), "not a wait until the deadline")
            let request = try await timeline(peers.relay, "fs-1")
            #expect(request["state"] == "failed" && request["decision_reason"] == "failed to send telegram message")
            #expect(request["decision_actor"] == "endpoint:tg")
            let delivery = try #require(request["messages"]?.arrayValue?.first { $0["purpose"] == "delivery" })
            #expect(delivery["state"] == "dead" && delivery["dead_reason"] == "permanent")
            let errors = delivery["attempts"]?.arrayValue?.compactMap { $0["error"]?.stringValue } ?? []
            #expect(errors.count == 2 && errors[1].contains("approval already exists") && errors[1].contains("failed to send telegram message"),
                    "the second attempt names both answers: \(errors)")
            #expect(peers.adapter.requests.count == 2, "no third try at an adapter that will never show it")
        }
    }

    @Test(arguments: StoreKind.allCases) func anAlreadyExistsAfterAPendingIsStillADelivery(_ store: StoreKind) async throws {
        // The adapter holds it and showed it; the relay's retry (its answer was lost) is answered "already exists".
        try await Self.withPeers(store) { peers in
            peers.telegram.loseAnswers(of: 1)  // shown in Telegram, the answer lost on the way
            #expect(try await peers.toolCall("ae-1", timeoutSec: 600, wait: .seconds(600)).status == 202)
            try await eventually("delivered") { try await firstMessage(peers.relay, "ae-1")["state"] == "delivered" }
            #expect(peers.adapter.requests.count == 2 && peers.telegram.held("ae-1")?.shown == true)
            let attempts = try await firstMessage(peers.relay, "ae-1")["attempts"]?.arrayValue ?? []
            #expect(attempts.last?["outcome"] == "delivered", "\(attempts)")
            #expect(try await timeline(peers.relay, "ae-1")["state"] == "requested", "the human still has the question")
        }
    }

    @Test(arguments: StoreKind.allCases) func aRoutineTimeoutIsAbandonedNotADeadLetter(_ store: StoreKind) async throws {
        try await Self.withPeers(store) { peers in
            // yaml-mcp-server waits exactly timeout_sec and started first: by the relay's expiry it has gone.
            #expect(try await peers.toolCall("to-1", timeoutSec: 2, wait: .milliseconds(1500)).status == 202)
            try await eventually("the expiry forward abandoned", timeout: .seconds(15)) {
                try await timeline(peers.relay, "to-1")["messages"]?.arrayValue?.contains { $0["purpose"] == "forward" && $0["state"] == "abandoned" } == true
            }
            #expect(try await timeline(peers.relay, "to-1")["state"] == "expired")
            let dead = try await call(.GET, peers.relay.baseURL + "/api/v1/dead-letters", token: TestRelay.adminToken)
            #expect(dead.json?["items"]?.arrayValue?.contains { $0["purpose"] == "forward" } == false, "\(dead.text)")
            let metrics = try await prometheusSamples(try await call(.GET, peers.relay.baseURL + "/metrics").text)
            #expect(metrics[#"relay_forwards_total{outcome="abandoned",sink="callback"}"#] == 1)
            #expect((metrics[#"relay_dead_letters{reason="permanent"}"#] ?? 0) == 0)
        }
    }

    @Test(arguments: StoreKind.allCases) func everyDeliveryCarriesTheSecondsLeft(_ store: StoreKind) async throws {
        let clock = ManualClock(Date())
        try await Self.withPeers(store, clock: clock) { peers in
            peers.telegram.makeUnavailable(for: 1)
            #expect(try await peers.toolCall("tl-1", timeoutSec: 30, wait: .seconds(600)).status == 202)
            try await eventually("the first attempt") { peers.adapter.requests.count == 1 }
            #expect(JSONValue.parse(peers.adapter.requests[0].body)?["timeout_sec"] == 30)
            // The retry is scheduled from the clock when the attempt is recorded: move it only after that.
            try await eventually("the failed attempt recorded") { try await firstMessage(peers.relay, "tl-1")["attempt_count"] == 1 }
            clock.advance(by: 12.5)
            peers.relay.poke()
            try await eventually("the retry") { peers.adapter.requests.count == 2 }
            #expect(JSONValue.parse(peers.adapter.requests[1].body)?["timeout_sec"] == 17, "the adapter's timer ends with the relay's deadline")
            // The stand-in records a request before its Telegram program has taken it in.
            try await eventually("the adapter holds the retried request") { peers.telegram.held("tl-1")?.timeoutSec == 17 }
        }
    }

    @Test(arguments: StoreKind.allCases) func refusedCallbacksAreKeptAndTheTimelineNamesWhoDecided(_ store: StoreKind) async throws {
        try await Self.withPeers(store) { peers in
            #expect(try await peers.toolCall("cb-1", timeoutSec: 600, wait: .seconds(600)).status == 202)
            try await eventually("delivered") { peers.telegram.held("cb-1")?.shown == true }
            #expect(try await peers.telegram.press("cb-1", decision: "approve", reason: "approved")?.status == 200)
            // A second press (a double tap, another chat member): refused, and kept.
            #expect(try await peers.telegram.press("cb-1", decision: "deny", reason: "changed my mind")?.status == 409)
            let request = try await timeline(peers.relay, "cb-1")
            #expect(request["decision_actor"] == "endpoint:tg")
            let callbacks = try #require(request["callbacks"]?.arrayValue)
            #expect(callbacks.count == 2)
            #expect(callbacks[0]["outcome"] == "applied" && callbacks[0]["endpoint"] == "tg" && callbacks[0]["path"] == "capability")
            #expect(callbacks[1]["outcome"] == "ignored" && callbacks[1]["decision"] == "denied" && callbacks[1]["state"] == "approved")
            #expect(callbacks[1]["body_excerpt"]?.stringValue?.contains("changed my mind") == true)
            // An unknown correlation id on the shared path: 404, nothing stored.
            let unknown = try await call(.POST, peers.relay.baseURL + "/approvals/webhook", token: TestRelay.callbackToken,
                                         body: json(["correlation_id": "nobody", "decision": "approve"]))
            #expect(unknown.status == 404)
        }
    }

    @Test(arguments: StoreKind.allCases) func aRefusedConnectionFailsAtOnceAndSaysSo(_ store: StoreKind) async throws {
        let closed = try ReservedPort()  // bound, not listening: a connect is refused
        let relay = try await TestRelay.start(store: store, retry: RetryPolicy(base: 60, cap: 60, maxAttempts: 5, attemptTimeout: 10, connectTimeout: 5))
        _ = try await registerEndpoint(relay, name: "down", url: "http://127.0.0.1:\(closed.port)/approve")
        #expect(try await submit(relay, "refused").status == 202)
        try await eventually("the attempt") { try await firstMessage(relay, "refused")["attempts"]?.arrayValue?.isEmpty == false }
        let attempt = try #require(try await firstMessage(relay, "refused")["attempts"]?.arrayValue?.first)
        #expect(attempt["error"]?.stringValue?.hasPrefix("connection refused") == true, "\(attempt)")
        let duration = attempt["duration_ms"]?.int64Value ?? .max
        #expect(duration < 5_000, "failed in \(duration) ms, not after the 5 s connect timeout")
        await relay.stop()
        closed.release()
    }
}
