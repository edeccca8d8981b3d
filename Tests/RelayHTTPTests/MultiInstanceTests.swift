import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// Several relay processes on one PostgreSQL database (issue 8): they share the work, a killed one's
/// leases are taken over, a message is never delivered by two at once, a decision is forwarded once.
@Suite(.serialized) struct MultiInstanceTests {
    @Test func threeInstancesOneKilledEverythingDeliveredEachDecisionForwardedOnce() async throws {
        let answerDelay = Duration.milliseconds(300)
        let adapter = try await StandInServer.start(CannedAnswer(status: .accepted, delay: answerDelay))
        let controlPlane = try await StandInServer.start(.status(200))
        guard case .postgres(let url) = try await TestStores.fresh(.postgres) else { return }
        let environment = [
            "RELAY_DATABASE": url, "RELAY_ADMIN_TOKEN": TestRelay.adminToken, "RELAY_SUBMIT_TOKEN": TestRelay.submitToken,
            "RELAY_CALLBACK_TOKEN": TestRelay.callbackToken, "RELAY_CALLBACK_KEY": Data(TestRelay.callbackKey).base64EncodedString(),
            "RELAY_DELIVERY_TIMEOUT_MS": "1000", "RELAY_LEASE_MARGIN_MS": "1000", "RELAY_RETRY_BASE_MS": "100",
            "RELAY_POLL_INTERVAL_MS": "200", "RELAY_LOG_LEVEL": "warning",
        ]
        var relays: [RelayProcess] = []
        for _ in 0..<3 { relays.append(try await RelayProcess.start(environment: environment)) }
        let (first, second, victim) = (relays[0], relays[1], relays[2])
        let created = try await call(.POST, first.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken,
                                     body: json(["name": "tg", "role": "approver", "url": .string(adapter.url + "/approve")]))
        #expect(created.status == 201, "\(created.text)")

        func submitBatch(_ range: Range<Int>, to instances: [RelayProcess]) async throws {
            for index in range {
                let relay = instances[index % instances.count]
                let answer = try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                            headers: ["Idempotency-Key": "multi-\(index)"],
                                            body: approvalBody("multi-\(index)", callback: controlPlane.url + "/decisions"))
                #expect(answer.status == 202, "\(answer.text)")
            }
        }
        @Sendable func deliveredBy(_ relay: RelayProcess, _ received: ReceivedRequest) -> Bool {
            JSONValue.parse(received.body)?["callback"]?["url"]?.stringValue?.hasPrefix(relay.baseURL) == true
        }
        // A steady load through two of them while all three claim (NOTIFY wakes every instance); the victim
        // is killed as soon as one of its deliveries is in flight.
        let loader = Task {
            var index = 0
            while !Task.isCancelled && index < 200 {
                do {
                    try await submitBatch(index..<(index + 1), to: [first, second])
                } catch {
                    if Task.isCancelled { break }  // cut short: submitted again below, an idempotent replay
                    throw error
                }
                index += 1
            }
            return index
        }
        try await eventually("a delivery by the victim in flight", timeout: .seconds(30)) {
            adapter.requests.contains { deliveredBy(victim, $0) && Date().timeIntervalSince($0.receivedAt) < 0.2 }
        }
        let orphan = try #require(adapter.requests.last { deliveredBy(victim, $0) })
        await victim.kill()
        loader.cancel()
        let loaded = try await loader.value
        let total = max(loaded, 90)
        try await submitBatch(loaded..<total, to: [first, second])

        @Sendable func ids() -> [String: [ReceivedRequest]] {
            Dictionary(grouping: adapter.requests) { JSONValue.parse($0.body)?["correlation_id"]?.stringValue ?? "?" }
        }
        try await eventually("every request delivered", timeout: .seconds(60)) { ids().count == total }
        // The victim's lease ran out and another instance delivered the orphan again.
        let orphanId = try #require(orphan.header("webhook-id"))
        try await eventually("the orphan taken over", timeout: .seconds(30)) {
            adapter.requests.filter { $0.header("webhook-id") == orphanId }.count >= 2
        }
        // Never two owners of one message at once: a repeat starts only after the first one's answer, unless
        // the relay itself saw that first attempt fail (a transport error on a busy machine) and retried it.
        let byMessage = Dictionary(grouping: adapter.requests) { $0.header("webhook-id") ?? "?" }
        for (id, deliveries) in byMessage where deliveries.count > 1 {
            let times = deliveries.map(\.receivedAt).sorted()
            for (earlier, later) in zip(times, times.dropFirst()) where later.timeIntervalSince(earlier) < 0.3 {
                let name = JSONValue.parse(deliveries[0].body)?["correlation_id"]?.stringValue ?? "?"
                let timeline = try await call(.GET, first.baseURL + "/api/v1/requests/\(name)", token: TestRelay.adminToken).json
                let message = timeline?["messages"]?.arrayValue?.first { $0["id"]?.stringValue == id }
                let outcomes = message?["attempts"]?.arrayValue?.compactMap { $0["outcome"]?.stringValue } ?? []
                #expect(outcomes.count >= 2 && outcomes[0] != "delivered",
                        "message \(id) was delivered twice at once (\(later.timeIntervalSince(earlier)) s apart), attempts \(outcomes)")
            }
        }
        // Each decision through a surviving instance (any instance accepts any capability URL: one key).
        for (name, deliveries) in ids() {
            let capability = try #require(JSONValue.parse(deliveries[0].body)?["callback"]?["url"]?.stringValue)
            let path = String(capability[capability.range(of: "/callbacks/")!.lowerBound...])
            let relay = [first, second][abs(name.hashValue) % 2]
            #expect(try await call(.POST, relay.baseURL + path, body: json(["decision": "approve"])).status == 200)
        }
        try await eventually("every decision forwarded", timeout: .seconds(30)) { controlPlane.requests.count >= total }
        try await Task.sleep(for: .milliseconds(500))  // room for a duplicate to show up
        let forwards = Dictionary(grouping: controlPlane.requests) { JSONValue.parse($0.body)?["correlation_id"]?.stringValue ?? "?" }
        #expect(forwards.count == total && forwards.values.allSatisfy { $0.count == 1 }, "each decision forwarded exactly once")
        let shown = try await call(.GET, second.baseURL + "/api/v1/requests/multi-0", token: TestRelay.adminToken)
        #expect(shown.json?["state"] == "approved")
        let stopped = (await first.stop(), await second.stop())
        #expect(stopped.0 == 0 && stopped.1 == 0)
        await adapter.stop()
        await controlPlane.stop()
    }
}
