import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Synchronization
import Testing

/// The relay SIGKILLed at random moments under a steady load of submits and callbacks, restarted each
/// time; then the stand-ins' own records must show that nothing was lost and nothing applied twice.
/// `make test` runs 5 kills per store; `make chaos` sets RELAY_CHAOS_KILLS=20.
@Suite(.serialized) struct CrashTests {
    static var kills: Int { Int(ProcessInfo.processInfo.environment["RELAY_CHAOS_KILLS"] ?? "") ?? 5 }

    /// What the load generator was told: the submits and callbacks the relay answered with a 2xx.
    final class Ledger: Sendable {
        private let state = Mutex<(tried: Int, accepted: Set<String>, calledBack: Set<String>, callbacksTried: Int)>((0, [], [], 0))
        func tried() { state.withLock { $0.tried += 1 } }
        func accepted(_ id: String) { _ = state.withLock { $0.accepted.insert(id) } }
        func calledBack(_ id: String) { _ = state.withLock { $0.calledBack.insert(id) } }
        func callbackTried() { state.withLock { $0.callbacksTried += 1 } }
        var snapshot: (tried: Int, accepted: Set<String>, calledBack: Set<String>, callbacksTried: Int) { state.withLock { $0 } }
    }

    @Test(arguments: StoreKind.allCases) func killedAtRandomMomentsLosesNothingAndForwardsOnce(_ store: StoreKind) async throws {
        let adapter = try await StandInServer.start()
        let controlPlane = try await StandInServer.start(.status(200))
        let location = try await TestStores.fresh(store)
        let port = try freePort()
        let environment = [
            "RELAY_DATABASE": location.databaseSetting, "RELAY_ADMIN_TOKEN": TestRelay.adminToken,
            "RELAY_SUBMIT_TOKEN": TestRelay.submitToken, "RELAY_CALLBACK_KEY": Data(TestRelay.callbackKey).base64EncodedString(),
            "RELAY_DELIVERY_TIMEOUT_MS": "1000", "RELAY_LEASE_MARGIN_MS": "500", "RELAY_RETRY_BASE_MS": "100",
            "RELAY_RETRY_CAP_MS": "1000", "RELAY_POLL_INTERVAL_MS": "100", "RELAY_LOG_LEVEL": "warning",
        ]
        var relay = try await RelayProcess.start(environment: environment, port: port)
        let base = relay.baseURL
        let created = try await call(.POST, base + "/api/v1/endpoints", token: TestRelay.adminToken,
                                     body: json(["name": "tg", "role": "approver", "url": .string(adapter.url + "/approve")]))
        #expect(created.status == 201, "\(created.text)")

        let ledger = Ledger()
        let submitters = (0..<4).map { worker in
            Task {
                var index = 0
                while !Task.isCancelled {
                    index += 1
                    let id = "crash-\(worker)-\(index)"
                    ledger.tried()
                    let answer = try? await call(.POST, base + "/api/v1/requests", token: TestRelay.submitToken,
                                                 headers: ["Idempotency-Key": id],
                                                 body: approvalBody(id, callback: controlPlane.url + "/decisions"))
                    if let answer, (200..<300).contains(answer.status) { ledger.accepted(id) }
                    if answer == nil { try? await Task.sleep(for: .milliseconds(50)) }  // the relay is down
                }
            }
        }
        // The adapter's side: every delivery is decided through its capability URL, until one answer is a 2xx.
        @Sendable func callBackEverythingDelivered() async {
            let done = ledger.snapshot.calledBack
            var seen = Set<String>()
            for delivery in adapter.requests {
                guard let body = JSONValue.parse(delivery.body), let id = body["correlation_id"]?.stringValue,
                      !done.contains(id), seen.insert(id).inserted,
                      let url = body["callback"]?["url"]?.stringValue else { continue }
                ledger.callbackTried()
                if let answer = try? await call(.POST, url, body: json(["decision": "approve"])), (200..<300).contains(answer.status) {
                    ledger.calledBack(id)
                }
            }
        }
        let callbacks = Task {
            while !Task.isCancelled {
                await callBackEverythingDelivered()
                try? await Task.sleep(for: .milliseconds(100))
            }
        }

        for _ in 0..<Self.kills {
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...1000)))
            await relay.kill()
            relay = try await RelayProcess.start(environment: environment, port: port)
        }
        try await Task.sleep(for: .milliseconds(500))
        for submitter in submitters { submitter.cancel() }
        for submitter in submitters { await submitter.value }

        let accepted = ledger.snapshot.accepted
        @Sendable func deliveredIds() -> Set<String> {
            Set(adapter.requests.compactMap { JSONValue.parse($0.body)?["correlation_id"]?.stringValue })
        }
        try await eventually("every accepted submit delivered", timeout: .seconds(60)) { accepted.isSubset(of: deliveredIds()) }
        try await eventually("every delivery decided", timeout: .seconds(60)) { ledger.snapshot.calledBack.isSuperset(of: deliveredIds()) }
        callbacks.cancel()
        await callbacks.value
        let calledBack = ledger.snapshot.calledBack
        @Sendable func forwardKeys() -> [String: Set<String>] {
            controlPlane.requests.reduce(into: [:]) { keys, forward in
                guard let id = JSONValue.parse(forward.body)?["correlation_id"]?.stringValue else { return }
                keys[id, default: []].insert(forward.header("Idempotency-Key") ?? "?")
            }
        }
        try await eventually("every decision forwarded", timeout: .seconds(60)) { calledBack.isSubset(of: Set(forwardKeys().keys)) }
        try await Task.sleep(for: .milliseconds(300))

        let deliveries = Dictionary(grouping: adapter.requests) { JSONValue.parse($0.body)?["correlation_id"]?.stringValue ?? "?" }
        let duplicatedDeliveries = deliveries.values.filter { $0.count > 1 }
        for repeats in duplicatedDeliveries {
            #expect(Set(repeats.map { $0.header("webhook-id") ?? "?" }).count == 1, "a repeated delivery carries another webhook-id")
        }
        let keys = forwardKeys()
        let twiceForwarded = keys.filter { $0.value.count > 1 }
        #expect(twiceForwarded.isEmpty, "decisions forwarded under two idempotency keys: \(twiceForwarded.keys.sorted().prefix(5))")
        let lost = accepted.subtracting(deliveredIds())
        #expect(lost.isEmpty)
        let counts = ledger.snapshot
        print("crash suite (\(store)): \(Self.kills) kills, \(counts.tried) submits tried, \(accepted.count) accepted, "
              + "\(deliveries.count) delivered (\(duplicatedDeliveries.count) more than once, same webhook-id), "
              + "\(calledBack.count) callbacks accepted of \(counts.callbacksTried) tried, \(keys.count) decisions forwarded, "
              + "\(controlPlane.requests.count - keys.count) repeated forwards (same key), lost \(lost.count), "
              + "decisions forwarded under two keys \(twiceForwarded.count)")
        #expect(await relay.stop() == 0)
        await adapter.stop()
        await controlPlane.stop()
    }

    /// SPEC §12 under kill -9: a vote that was answered 200 survives the kill, and the decision its quorum makes is
    /// forwarded once — by one forward message, delivered again with its own key if the kill caught it in flight.
    @Test(arguments: StoreKind.allCases) func aVoteSurvivesAKillAndTheQuorumForwardsOnce(_ store: StoreKind) async throws {
        let adapter = try await StandInServer.start()
        // The request's callback URL takes its time answering, so the second kill catches the forward in flight.
        let receiver = try await StandInServer.start(CannedAnswer(status: .ok, delay: .milliseconds(1500)))
        let location = try await TestStores.fresh(store)
        let port = try freePort()
        let environment = [
            "RELAY_DATABASE": location.databaseSetting, "RELAY_ADMIN_TOKEN": TestRelay.adminToken,
            "RELAY_SUBMIT_TOKEN": TestRelay.submitToken, "RELAY_CALLBACK_KEY": Data(TestRelay.callbackKey).base64EncodedString(),
            "RELAY_DELIVERY_TIMEOUT_MS": "5000", "RELAY_LEASE_MARGIN_MS": "500", "RELAY_INSTANCE_TIMEOUT_MS": "2000",
            "RELAY_POLL_INTERVAL_MS": "100", "RELAY_LOG_LEVEL": "warning",
        ]
        var relay = try await RelayProcess.start(environment: environment, port: port)
        for name in ["a", "b", "c"] {
            let created = try await call(.POST, relay.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken,
                                         body: json(["name": .string(name), "role": "approver", "url": .string(adapter.url + "/" + name)]))
            #expect(created.status == 201, "\(created.text)")
        }
        let submitted = try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken, headers: ["Idempotency-Key": "kv"],
                                       body: approvalBody("kill-vote", callback: receiver.url + "/decisions",
                                                          extra: ["endpoints": ["a", "b", "c"], "approval_policy": ["min_approvals": 2]]))
        #expect(submitted.status == 202, "\(submitted.text)")
        @Sendable func callbackURL(_ name: String) -> String? {
            adapter.requests.first { $0.path == "/" + name }.flatMap { JSONValue.parse($0.body)?["callback"]?["url"]?.stringValue }
        }
        try await eventually("three deliveries") { ["a", "b", "c"].allSatisfy { callbackURL($0) != nil } }
        let voteA = try await call(.POST, try #require(callbackURL("a")), body: json(["decision": "approve", "reason": "a agrees"]))
        #expect(voteA.status == 200 && voteA.json?["votes"]?["approvals"] == 1, "\(voteA.text)")

        await relay.kill()
        relay = try await RelayProcess.start(environment: environment, port: port)
        let kept = try await call(.GET, relay.baseURL + "/api/v1/requests/kill-vote", token: TestRelay.adminToken)
        #expect(kept.json?["approval_policy"]?["votes"]?.arrayValue?.map { $0["endpoint"] } == ["a"], "the vote survived: \(kept.text)")

        let voteB = try await call(.POST, try #require(callbackURL("b")), body: json(["decision": "approve", "reason": "b agrees"]))
        #expect(voteB.status == 200 && voteB.json?["state"] == "approved", "\(voteB.text)")
        try await eventually("the forward in flight") { !receiver.requests.isEmpty }
        await relay.kill()
        relay = try await RelayProcess.start(environment: environment, port: port)
        let base = relay.baseURL
        try await eventually("the forward delivered", timeout: .seconds(30)) {
            let timeline = try await call(.GET, base + "/api/v1/requests/kill-vote", token: TestRelay.adminToken)
            return timeline.json?["messages"]?.arrayValue?.contains { $0["purpose"] == "forward" && $0["state"] == "delivered" } == true
        }
        let timeline = try await call(.GET, relay.baseURL + "/api/v1/requests/kill-vote", token: TestRelay.adminToken)
        #expect(timeline.json?["messages"]?.arrayValue?.filter { $0["purpose"] == "forward" }.count == 1, "one forward message")
        let keys = Set(receiver.requests.map { $0.header("Idempotency-Key") ?? "?" })
        #expect(keys.count == 1, "every arrival of the decision carries one key: \(keys)")
        print("kill between vote and forward (\(store)): the vote kept, the forward arrived \(receiver.requests.count) time(s) under one key")
        #expect(await relay.stop() == 0)
        await adapter.stop()
        await receiver.stop()
    }
}
