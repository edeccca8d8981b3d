import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import RelayDelivery
import RelayStore
import Testing

/// Retention end to end: decided and forwarded requests go after the retention age, in batches, while an
/// open request stays; the purge is counted in `/metrics`.
@Suite struct RetentionTests {
    @Test(arguments: StoreKind.allCases) func finishedRequestsArePurgedInBatchesAfterTheRetentionAge(_ store: StoreKind) async throws {
        let clock = ManualClock(Date())
        try await withFlow(store: store, clock: clock) { flow in
            try await flow.registerAdapters()
            for index in 0..<5 { _ = try await flow.submitApproval("done-\(index)") }
            _ = try await flow.submitApproval("open")
            for index in 0..<5 {
                let url = try await flow.callbackURL(of: "done-\(index)")
                #expect(try await flow.callBack(url, ["decision": "approve"]).status == 200)
            }
            try await eventually("five decisions forwarded") { flow.receiver.requests.count == 5 }
            let options = RetentionOptions(age: 30 * 86_400, batchSize: 2, pause: .zero)
            let sweeper = RetentionSweeper(store: flow.relay.store, clock: clock, options: options)
            try await eventually("the forwards recorded") {
                try await flow.relay.store.outboxCounts().byState[.delivered] == 11
            }
            #expect(await sweeper.sweep() == PurgeResult(), "nothing is 30 days old yet")
            clock.advance(by: 30 * 86_400 + 1)
            #expect(await sweeper.sweep() == PurgeResult(requests: 5, messages: 10, attempts: 10))
            for index in 0..<5 {
                let gone = try await call(.GET, flow.relay.baseURL + "/api/v1/requests/done-\(index)", token: TestRelay.adminToken)
                #expect(gone.status == 404)
            }
            let open = try await call(.GET, flow.relay.baseURL + "/api/v1/requests/open", token: TestRelay.adminToken)
            #expect(open.status == 200, "the open request stays")
        }
    }
}
