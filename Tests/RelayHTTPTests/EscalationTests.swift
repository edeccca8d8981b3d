import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// SPEC §12, escalation: when no decision came `after_sec` after submit, the request also goes to the step's
/// endpoints — at its time and not before, each step once, never after a decision. The clock is the relay's own.
@Suite struct EscalationTests {
    @Test(arguments: StoreKind.allCases) func aStepFiresAtItsTimeAndNeverAfterADecision(_ store: StoreKind) async throws {
        let clock = ManualClock(Date())
        let approvers = try await Approvers.start(["first", "oncall", "lead"], store: store, clock: clock)
        let escalation: JSONValue = [["after_sec": 60, "endpoints": ["oncall"]], ["after_sec": 120, "endpoints": ["lead"]]]
        #expect(try await approvers.submit("esc-1", to: ["first"], extra: ["escalation": escalation, "timeout_sec": 600]).status == 202)
        #expect(try await approvers.submit("esc-2", to: ["first"], extra: ["escalation": escalation, "timeout_sec": 600]).status == 202)
        _ = try await approvers.callbackURL("first", "esc-1")
        // esc-2 is decided before any step comes due.
        #expect(try await approvers.vote("first", "esc-2").json?["state"] == "approved")

        clock.advance(by: 59)
        approvers.relay.poke()
        try await Task.sleep(for: .milliseconds(400))
        #expect(approvers.deliveries(to: "oncall", of: "esc-1").isEmpty, "not before its time")

        // The dispatcher's timers look once a second of the relay's clock: half a second more is surely past both.
        clock.advance(by: 1.5)
        approvers.relay.poke()
        try await eventually("the first step") { !approvers.deliveries(to: "oncall", of: "esc-1").isEmpty }
        #expect(approvers.deliveries(to: "lead", of: "esc-1").isEmpty, "the second step is not due yet")
        let timeline = try await timeline(approvers.relay, "esc-1")
        #expect(timeline["escalation"]?.arrayValue?.map { $0["fired"] } == [true, false], "\(timeline["escalation"] ?? nil)")

        // The on-call engineer answers through the URL their delivery carried: it decides, and the second step never fires.
        #expect(try await approvers.vote("oncall", "esc-1").json?["state"] == "approved")
        clock.advance(by: 120)
        approvers.relay.poke()
        try await Task.sleep(for: .milliseconds(400))
        #expect(approvers.deliveries(to: "lead", of: "esc-1").isEmpty, "never after a decision")
        #expect(approvers.deliveries(to: "oncall", of: "esc-2").isEmpty && approvers.deliveries(to: "lead", of: "esc-2").isEmpty)
        #expect(approvers.deliveries(to: "oncall", of: "esc-1").count == 1, "each step once")
        await approvers.stop()
    }

    /// Each bad step is refused naming its field, and nothing is stored.
    @Test(arguments: StoreKind.allCases) func badStepsAreRefused(_ store: StoreKind) async throws {
        let approvers = try await Approvers.start(["first", "oncall", "off"], store: store)
        #expect(try await call(.POST, approvers.relay.baseURL + "/api/v1/endpoints/off/disable", token: TestRelay.adminToken).status == 200)
        let rows: [(JSONValue, Int, String)] = [
            ([["after_sec": 600, "endpoints": ["oncall"]]], 422, "escalation[0].after_sec"),
            ([["after_sec": 30, "endpoints": ["nobody"]]], 422, "escalation[0].endpoints"),
            ([["after_sec": 30, "endpoints": ["off"]]], 422, "escalation[0].endpoints"),
            ([["after_sec": 30, "endpoints": ["first"]]], 422, "escalation[0].endpoints"),
            ([["after_sec": 30, "endpoints": ["oncall"]], ["after_sec": 30, "endpoints": ["off"]]], 422, "escalation[1].after_sec"),
            ([["after_sec": 30]], 400, "escalation[0].endpoints"),
            ("soon", 400, "escalation"),
        ]
        for (index, (escalation, status, field)) in rows.enumerated() {
            let answer = try await approvers.submit("esc-bad-\(index)", to: ["first"], extra: ["escalation": escalation, "timeout_sec": 600])
            #expect(answer.status == status && answer.json?["field"]?.stringValue == field, "\(escalation): \(answer.text)")
            #expect(try await call(.GET, approvers.relay.baseURL + "/api/v1/requests/esc-bad-\(index)", token: TestRelay.adminToken).status == 404)
        }
        await approvers.stop()
    }
}
