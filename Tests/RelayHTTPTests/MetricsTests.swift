import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// `GET /metrics` (SPEC §8): the series of a run, parsed by a real Prometheus parser and checked against
/// what the run did.
@Suite struct MetricsTests {
    @Test(arguments: StoreKind.allCases) func metricsCountWhatTheRunDid(_ store: StoreKind) async throws {
        let broken = try await StandInServer.start(.status(400, body: "no such chat"))
        try await withFlow(store: store) { flow in
            _ = try await registerEndpoint(flow.relay, name: "approver", url: flow.adapter.url + "/approve")
            _ = try await registerEndpoint(flow.relay, name: "broken", url: broken.url + "/approve")
            for name in ["m1", "m2", "m3"] { _ = try await flow.submitApproval(name) }
            let m1 = try await flow.callbackURL(of: "m1")
            let m2 = try await flow.callbackURL(of: "m2")
            let m3 = try await flow.callbackURL(of: "m3")
            #expect(try await flow.callBack(m1, ["decision": "approve"]).status == 200)
            #expect(try await flow.callBack(m2, ["decision": "deny", "reason": "no"]).status == 200)
            #expect(try await flow.callBack(m1, ["decision": "approve"]).status == 200)  // duplicate
            #expect(try await flow.callBack(m1, ["decision": "deny"]).status == 409)
            #expect(try await flow.callBack(m3, ["decision": 5]).status == 400)
            #expect(try await flow.callBack(flow.relay.baseURL + "/callbacks/nope", ["decision": "approve"]).status == 404)
            let shared = try await call(.POST, flow.relay.baseURL + "/approvals/webhook", token: "wrong",
                                        body: json(["correlation_id": "m3", "decision": "approve"]))
            #expect(shared.status == 401)

            let scrape: @Sendable () async throws -> [String: Double] = {
                let page = try await call(.GET, flow.relay.baseURL + "/metrics")
                #expect(page.status == 200 && page.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
                return try await prometheusSamples(page.text)
            }
            try await eventually("two forwards and three dead letters recorded") {
                let samples = try await scrape()
                return samples[#"relay_forwards_total{outcome="delivered",sink="callback"}"#] == 2
                    && samples[#"relay_outbox_messages{state="dead"}"#] == 3
                    && samples[#"relay_outbox_messages{state="delivered"}"#] == 5
            }
            let samples = try await scrape()
            #expect(samples[#"relay_requests_submitted_total{api="native",kind="approval"}"#] == 3)
            #expect(samples[#"relay_delivery_attempts_total{endpoint="approver",outcome="delivered",purpose="delivery"}"#] == 3)
            #expect(samples[#"relay_delivery_attempts_total{endpoint="broken",outcome="permanent",purpose="delivery"}"#] == 3)
            #expect(sum(samples, "relay_delivery_attempts_total", ["purpose": "forward"]) == 2)
            #expect(samples[#"relay_messages_delivered_total{endpoint="approver",purpose="delivery"}"#] == 3)
            #expect(samples[#"relay_messages_dead_lettered_total{endpoint="broken",purpose="delivery",reason="permanent"}"#] == 3)
            #expect(samples[#"relay_outbox_messages{state="pending"}"#] == 0)
            #expect(samples[#"relay_outbox_messages{state="inflight"}"#] == 0)
            #expect(samples[#"relay_dead_letters{reason="permanent"}"#] == 3)
            #expect(samples[#"relay_dead_letters{reason="exhausted"}"#] == 0)
            #expect(samples[#"relay_callbacks_total{outcome="applied",path="capability"}"#] == 2)
            #expect(samples[#"relay_callbacks_total{outcome="duplicate",path="capability"}"#] == 1)
            #expect(samples[#"relay_callbacks_total{outcome="refused",path="capability"}"#] == 1)
            #expect(samples[#"relay_callbacks_total{outcome="invalid",path="capability"}"#] == 1)
            #expect(samples[#"relay_callbacks_total{outcome="unknown_request",path="capability"}"#] == 1)
            #expect(samples[#"relay_callbacks_total{outcome="unauthorized",path="shared_token"}"#] == 1)
            // The latency histograms: one observation per delivered message, one per attempt.
            #expect(samples[#"relay_delivery_latency_seconds_count{purpose="delivery"}"#] == 3)
            #expect(samples[#"relay_delivery_latency_seconds_count{purpose="forward"}"#] == 2)
            #expect(samples[#"relay_delivery_latency_seconds_bucket{le="+Inf",purpose="delivery"}"#] == 3)
            #expect(samples[#"relay_delivery_attempt_duration_seconds_count{endpoint="approver"}"#] == 3)
            #expect(samples[#"relay_delivery_attempt_duration_seconds_count{endpoint="broken"}"#] == 3)
            #expect((samples[#"relay_delivery_latency_seconds_sum{purpose="delivery"}"#] ?? -1) > 0)
        }
        await broken.stop()
    }
}
