import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// Bulk replay by the list's filters, with a dry run that counts first (issue 4's dead-letter tooling).
@Suite struct DeadLetterTests {
    @Test(arguments: StoreKind.allCases) func dryRunCountsExactlyWhatTheBulkReplayThenReplays(_ store: StoreKind) async throws {
        try await withHarness(store: store, .status(400)) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "a", url: adapter.url + "/a")
            _ = try await registerEndpoint(relay, name: "b", url: adapter.url + "/b")
            for index in 0..<4 { _ = try await submit(relay, "c-bulk-a\(index)", extra: ["endpoints": ["a"]]) }
            for index in 0..<3 { _ = try await submit(relay, "c-bulk-b\(index)", extra: ["endpoints": ["b"]]) }
            try await eventually("seven dead letters") {
                try await call(.GET, relay.baseURL + "/api/v1/dead-letters?limit=100", token: TestRelay.adminToken)
                    .json?["items"]?.arrayValue?.count == 7
            }
            let url = relay.baseURL + "/api/v1/dead-letters/replay"
            let dryRun = try await call(.POST, url, token: TestRelay.adminToken, body: json(["endpoint": "a", "reason": "permanent", "dry_run": true]))
            #expect(dryRun.status == 200 && dryRun.json == ["dry_run": true, "count": 4])
            #expect(try await call(.POST, url, token: TestRelay.adminToken, body: json(["endpoint": "a", "kind": "execution", "dry_run": true])).json?["count"] == 0)
            adapter.answer([], then: .accepted)
            let replayed = try await call(.POST, url, token: TestRelay.adminToken, body: json(["endpoint": "a", "reason": "permanent"]))
            #expect(replayed.json == ["dry_run": false, "count": 4])
            for index in 0..<4 {
                try await eventually("c-bulk-a\(index) delivered") { try await firstMessage(relay, "c-bulk-a\(index)")["state"] == "delivered" }
                #expect(try await firstMessage(relay, "c-bulk-a\(index)")["attempts"]?.arrayValue?.count == 2)
            }
            let left = try await call(.GET, relay.baseURL + "/api/v1/dead-letters", token: TestRelay.adminToken)
            #expect(left.json?["items"]?.arrayValue?.compactMap { $0["endpoint"]?.stringValue } == ["b", "b", "b"])
            let bad = try await call(.POST, url, token: TestRelay.adminToken, body: json(["reason": "bored"]))
            #expect(bad.status == 400 && bad.json?["field"] == "reason")
            let unknown = try await call(.POST, url, token: TestRelay.adminToken, body: json(["colour": "red"]))
            #expect(unknown.status == 400 && unknown.json?["field"] == "colour")
            #expect(try await call(.POST, url, token: TestRelay.submitToken, body: json([:])).status == 401)
        }
    }
}
