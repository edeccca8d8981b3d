import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// The approval flow end to end (SPEC §5–§7): adapter stand-ins call the relay back the way the Telegram
/// adapters do, and a yaml-mcp-server-like receiver gets the normalized decision.
@Suite struct ApprovalFlowTests {
    @Test(arguments: StoreKind.allCases) func approvalFromSubmitToForwardedDecision(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            _ = try await flow.submitApproval("c-life")
            let callback = try await flow.callbackURL(of: "c-life")
            #expect(callback.hasPrefix(flow.relay.baseURL + "/callbacks/"))
            let approved = try await flow.callBack(callback, ["correlation_id": "c-life", "decision": "approve", "reason": "ok", "tool": "github_create_env_secret_k8s"])
            #expect(approved.status == 200, "\(approved.text)")
            #expect(approved.json?["state"] == "approved" && approved.json?["duplicate"] == false)
            #expect(approved.json?["correlation_id"] == "c-life" && approved.json?["id"]?.stringValue?.hasPrefix("req_") == true)
            try await eventually("the forward") { flow.forwards(of: "c-life").count == 1 }
            #expect(flow.forwards(of: "c-life")[0] == ["correlation_id": "c-life", "decision": "approve", "reason": "ok", "tool": "github_create_env_secret_k8s"])
            #expect(flow.receiver.requests[0].path == "/approvals/webhook")
            // The same decision again: success, marked duplicate, never forwarded twice.
            let again = try await flow.callBack(callback, ["correlation_id": "c-life", "decision": "approve"])
            #expect(again.status == 200 && again.json?["duplicate"] == true)
            try await Task.sleep(for: .milliseconds(200))
            #expect(flow.forwards(of: "c-life").count == 1)
            let view = try await timeline(flow.relay, "c-life")
            #expect(view["state"] == "approved" && view["decision_reason"] == "ok")
            #expect(view["messages"]?.arrayValue?.map { $0["purpose"] } == ["delivery", "forward"])
        }
    }

    @Test(arguments: StoreKind.allCases) func capabilityTokensAreStoredOnlyAsHashes(_ store: StoreKind) async throws {
        let location = try await TestStores.fresh(store)
        try await withFlow(store: store, location: location) { flow in
            try await flow.registerAdapters()
            _ = try await flow.submitApproval("c-hash")
            let callback = try await flow.callbackURL(of: "c-hash")
            let token = String(callback.split(separator: "/").last!)
            #expect(token.count >= 43)
            switch location {
            case .sqlite(let path):
                let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
                for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                    let bytes = try Data(contentsOf: folder.appendingPathComponent(file))
                    #expect(bytes.range(of: Data(token.utf8)) == nil, "the token appears in \(file)")
                }
            case .postgres(let url):
                let dump = try await runProcess("/usr/bin/env", ["pg_dump", "--data-only", url], environment: ProcessInfo.processInfo.environment)
                #expect(dump.status == 0 && dump.output.contains("c-hash"), "\(dump.errors)")
                #expect(!dump.output.contains(token), "the token appears in the database")
            }
            #expect(try await flow.callBack(flow.relay.baseURL + "/callbacks/" + String(token.dropLast()) + "x",
                                            ["decision": "approve"]).status == 404)
        }
    }

    @Test(arguments: StoreKind.allCases) func executorOptionChosenIsAppliedWithItsResult(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            _ = try await flow.submitExecution("c-option")
            let callback = try await flow.callbackURL(of: "c-option")
            #expect(flow.delivery(of: "c-option")?.path == "/execute")
            let result: JSONValue = ["question": "Which rollout strategy should we apply?", "selected_option": "Canary",
                                     "selected_index": 0, "custom": false, "input_mode": "button"]
            let answer = try await flow.callBack(callback, ["correlation_id": "c-option", "status": "success", "result": result, "tool": "telegram_request_feedback"])
            #expect(answer.status == 200 && answer.json?["state"] == "applied")
            try await eventually("the forward") { flow.forwards(of: "c-option").count == 1 }
            #expect(flow.forwards(of: "c-option")[0] == ["correlation_id": "c-option", "status": "success", "result": result, "tool": "telegram_request_feedback"])
            #expect(flow.receiver.requests[0].path == "/executors/webhook")
        }
    }

    @Test(arguments: StoreKind.allCases) func executorCustomTextAnswer(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            _ = try await flow.submitExecution("c-custom")
            let callback = try await flow.callbackURL(of: "c-custom")
            let result: JSONValue = ["question": "Which rollout strategy should we apply?", "selected_option": "Roll out on Monday",
                                     "selected_index": nil, "custom": true, "input_mode": "text"]
            _ = try await flow.callBack(callback, ["correlation_id": "c-custom", "status": "success", "result": result])
            try await eventually("the forward") { flow.forwards(of: "c-custom").count == 1 }
            #expect(flow.forwards(of: "c-custom")[0]["result"] == result)
            #expect(try await timeline(flow.relay, "c-custom")["decision_result"] == result)
        }
    }

    @Test(arguments: StoreKind.allCases) func approverTimeoutBecomesExpiredAndIsForwardedAsTheTimeoutError(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            _ = try await flow.submitApproval("c-timeout")
            let callback = try await flow.callbackURL(of: "c-timeout")
            let answer = try await flow.callBack(callback, ["correlation_id": "c-timeout", "decision": "error", "reason": "approval timeout"])
            #expect(answer.json?["state"] == "expired")
            try await eventually("the forward") { flow.forwards(of: "c-timeout").count == 1 }
            #expect(flow.forwards(of: "c-timeout")[0]["decision"] == "error" && flow.forwards(of: "c-timeout")[0]["reason"] == "approval timeout")
            let late = try await flow.callBack(callback, ["correlation_id": "c-timeout", "decision": "approve"])
            #expect(late.status == 409 && late.json?["state"] == "expired" && late.json?["code"] == "transition_refused")
        }
    }

    /// SPEC §16: yaml-mcp-server answers 404 once it has stopped waiting; that forward is abandoned, not a dead letter.
    @Test(arguments: StoreKind.allCases) func receiverThatNoLongerWaitsAnswers404AndTheForwardIsAbandoned(_ store: StoreKind) async throws {
        try await withFlow(store: store, receiver: .status(404)) { flow in
            try await flow.registerAdapters()
            _ = try await flow.submitApproval("c-gone")
            let callback = try await flow.callbackURL(of: "c-gone")
            _ = try await flow.callBack(callback, ["correlation_id": "c-gone", "decision": "deny", "reason": "no"])
            try await eventually("the abandoned forward") {
                try await timeline(flow.relay, "c-gone")["messages"]?.arrayValue?.last?["state"] == "abandoned"
            }
            let forward = try #require(try await timeline(flow.relay, "c-gone")["messages"]?.arrayValue?.last)
            #expect(forward["dead_reason"] == nil && forward["attempt_count"] == 1 && forward["purpose"] == "forward")
            #expect(forward["attempts"]?.arrayValue?.first?["status_code"] == 404)
            let dead = try await call(.GET, flow.relay.baseURL + "/api/v1/dead-letters", token: TestRelay.adminToken)
            #expect(dead.json?["items"]?.arrayValue?.isEmpty == true, "not a dead letter: \(dead.text)")
            #expect(flow.forwards(of: "c-gone") == [["correlation_id": "c-gone", "decision": "deny", "reason": "no", "tool": "github_create_env_secret_k8s"]])
        }
    }

    @Test(arguments: StoreKind.allCases) func aSynchronousAdapterDecisionTakesTheSamePath(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            flow.adapter.respond { _ in CannedAnswer(status: .ok, body: #"{"decision":"approve","reason":"auto-approved"}"#) }
            try await flow.registerAdapters()
            _ = try await flow.submitApproval("c-sync")
            try await eventually("the forward") { flow.forwards(of: "c-sync").count == 1 }
            #expect(flow.forwards(of: "c-sync")[0]["decision"] == "approve" && flow.forwards(of: "c-sync")[0]["reason"] == "auto-approved")
            #expect(try await flow.state("c-sync") == "approved")
        }
    }

    /// 50 conflicting callbacks at once: exactly one wins, exactly one forward.
    @Test(arguments: StoreKind.allCases) func racingCallbacksHaveOneWinnerAndOneForward(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            _ = try await flow.submitApproval("c-race")
            let callback = try await flow.callbackURL(of: "c-race")
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for index in 0..<50 {
                    let decision: JSONValue = index % 2 == 0 ? "approve" : "deny"
                    group.addTask { try await flow.callBack(callback, ["correlation_id": "c-race", "decision": decision]) }
                }
                return try await group.reduce(into: [Answer]()) { $0.append($1) }
            }
            let winners = answers.filter { $0.status == 200 && $0.json?["duplicate"] == false }
            #expect(winners.count == 1)
            let final = try #require(winners.first?.json?["state"]?.stringValue)
            for answer in answers where answer.status == 200 { #expect(answer.json?["state"]?.stringValue == final) }
            #expect(answers.allSatisfy { $0.status == 200 || ($0.status == 409 && $0.json?["state"]?.stringValue == final) })
            try await eventually("the forward") { flow.forwards(of: "c-race").count == 1 }
            try await Task.sleep(for: .milliseconds(300))
            #expect(flow.forwards(of: "c-race").count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases) func expiryIsHonouredAcrossARestart(_ store: StoreKind) async throws {
        let clock = ManualClock()
        let location = try await TestStores.fresh(store)
        let adapter = try await StandInServer.start()
        let telegram = TelegramAdapters()
        adapter.respond { telegram.answer($0) }
        let receiver = try await StandInServer.start(CannedAnswer(status: .ok))
        let first = try await TestRelay.start(store: store, location: location, clock: clock)
        _ = try await registerEndpoint(first, name: "approver", url: adapter.url + "/approve")
        let flow = Flow(relay: first, adapter: adapter, receiver: receiver, telegram: telegram)
        _ = try await flow.submitApproval("c-expire", extra: ["timeout_sec": 60])
        let callback = try await flow.callbackURL(of: "c-expire")
        await first.stop()
        clock.advance(by: 61)
        let second = try await TestRelay.start(store: store, location: location, clock: clock)
        try await eventually("expired") { try await timeline(second, "c-expire")["state"] == "expired" }
        try await eventually("the expiry forward") { flow.forwards(of: "c-expire").count == 1 }
        #expect(flow.forwards(of: "c-expire")[0]["decision"] == "error" && flow.forwards(of: "c-expire")[0]["reason"] == "approval timeout")
        let late = try await call(.POST, callback.replacingOccurrences(of: first.baseURL, with: second.baseURL), body: json(["decision": "approve"]))
        #expect(late.status == 409 && late.json?["state"] == "expired")
        await second.stop(); await adapter.stop(); await receiver.stop()
    }

    @Test(arguments: StoreKind.allCases) func expiryDeadLettersUndeliveredDeliveries(_ store: StoreKind) async throws {
        let clock = ManualClock()
        try await withFlow(store: store, clock: clock) { flow in
            flow.adapter.respond { _ in .status(503) }
            _ = try await registerEndpoint(flow.relay, name: "approver", url: flow.adapter.url + "/approve", extra: ["max_attempts": 100])
            _ = try await flow.submitApproval("c-undelivered", extra: ["timeout_sec": 30])
            try await eventually("a failed attempt") { !flow.adapter.requests.isEmpty }
            clock.advance(by: 31)
            // A sweep that meets the failed attempt's completion holding the request passes it over (SKIP LOCKED) until
            // the next second: the clock must keep running.
            try await eventually("expired", advancing: clock, by: 1, on: flow.relay) { try await flow.state("c-undelivered") == "expired" }
            let delivery = try #require(try await timeline(flow.relay, "c-undelivered")["messages"]?.arrayValue?.first)
            #expect(delivery["state"] == "dead" && delivery["dead_reason"] == "deadline")
        }
    }
}

@Suite struct CapabilitySecrecyTests {
    /// An adapter that echoes its request body back must not put the capability token into the timeline.
    @Test func echoedCallbackURLsAreRedactedFromTheTimeline() async throws {
        try await withFlow { flow in
            flow.adapter.respond { CannedAnswer(status: .internalServerError, body: String(decoding: $0.body, as: UTF8.self)) }
            _ = try await registerEndpoint(flow.relay, name: "approver", url: flow.adapter.url + "/approve")
            _ = try await flow.submitApproval("c-echo")
            let callback = try await flow.callbackURL(of: "c-echo")
            let token = String(callback.split(separator: "/").last!)
            try await eventually("an attempt recorded") {
                try await timeline(flow.relay, "c-echo")["messages"]?.arrayValue?.first?["attempt_count"] != 0
            }
            let view = try await call(.GET, flow.relay.baseURL + "/api/v1/requests/c-echo", token: TestRelay.adminToken)
            #expect(view.text.contains("<callback-token>"))
            #expect(!view.text.contains(token))
            let wrongMethod = try await call(.GET, callback)
            #expect(!wrongMethod.text.contains(token))
        }
    }
}
