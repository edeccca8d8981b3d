import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// The console's Requests tab and overview as an admin uses them (SPEC §12): a filtered, paged list; a request's
/// own content, votes, superseded deliveries and audit entries; a cancel button; the last hour as pictures.
@Suite struct ConsoleRequestsTests {
    /// A signed-in session: its cookie and its CSRF token.
    static func signIn(_ relay: TestRelay) async throws -> (cookie: String, csrf: String) {
        let page = try await call(.GET, relay.baseURL + "/console/sign-in")
        let nonce = try #require(page.headers[canonicalForm: "Set-Cookie"].first { $0.hasPrefix("relay_console_signin=") })
        let token = try #require(page.text.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
        let signedIn = try await call(.POST, relay.baseURL + "/console/sign-in",
                                      headers: ConsoleTests.form.merging(["Cookie": String(nonce.split(separator: ";")[0])]) { $1 },
                                      bodyText: "token=\(TestRelay.adminToken)&csrf=\(token)")
        let session = try #require(signedIn.headers[canonicalForm: "Set-Cookie"].first { $0.hasPrefix("relay_console=") })
        let cookie = String(session.split(separator: ";")[0])
        let overview = try await call(.GET, relay.baseURL + "/console", headers: ["Cookie": cookie])
        return (cookie, String(try #require(overview.text.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)))
    }

    @Test(arguments: StoreKind.allCases) func listContentVotesAuditCancelAndPictures(_ store: StoreKind) async throws {
        let approvers = try await Approvers.start(["a", "b"], store: store)
        let relay = approvers.relay
        #expect(try await approvers.submit("con-quorum", to: ["a", "b"], extra: ["approval_policy": ["min_approvals": 2]]).status == 202)
        #expect(try await approvers.vote("a", "con-quorum").status == 200)
        #expect(try await approvers.submit("con-open", to: ["a"]).status == 202)
        for index in 0..<3 { #expect(try await approvers.submit("con-more-\(index)", to: ["b"]).status == 202) }
        let (cookie, csrf) = try await Self.signIn(relay)
        let headers = ["Cookie": cookie]

        // The list: newest first, filtered, paged.
        let list = try await call(.GET, relay.baseURL + "/console/requests", headers: headers)
        #expect(list.status == 200)
        let order = ["con-more-2", "con-more-1", "con-more-0", "con-open", "con-quorum"].compactMap { list.text.range(of: ">\($0)<")?.lowerBound }
        #expect(order.count == 5 && order == order.sorted(), "newest first")
        let filtered = try await call(.GET, relay.baseURL + "/console/requests?endpoint=a&state=requested", headers: headers)
        #expect(filtered.text.contains(">con-open<") && filtered.text.contains(">con-quorum<") && !filtered.text.contains(">con-more-0<"))
        let api = try await call(.GET, relay.baseURL + "/api/v1/requests?limit=2", token: TestRelay.adminToken)
        let cursor = try #require(api.json?["next_cursor"]?.stringValue)
        #expect(api.json?["items"]?.arrayValue?.map { $0["correlation_id"] } == ["con-more-2", "con-more-1"])
        let next = try await call(.GET, relay.baseURL + "/api/v1/requests?limit=2&cursor=" + cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                                  token: TestRelay.adminToken)
        #expect(next.json?["items"]?.arrayValue?.map { $0["correlation_id"] } == ["con-more-0", "con-open"], "\(next.text)")
        let badState = try await call(.GET, relay.baseURL + "/api/v1/requests?state=pondering", token: TestRelay.adminToken)
        #expect(badState.status == 400 && badState.json?["field"] == "state")
        #expect(try await call(.GET, relay.baseURL + "/console/requests?since=yesterday", headers: headers).text.contains("since must be"))

        // A request's page: what it asks, its votes, its audit entries, and a cancel button while it is open.
        let page = try await call(.GET, relay.baseURL + "/console/requests/con-quorum", headers: headers)
        #expect(page.text.contains("Need a new password for the billing service.") && page.text.contains("ai-staging"))
        #expect(page.text.contains("Votes: 1 of 2 approvals") && page.text.contains("Audit trail") && page.text.contains("Cancel this request"))
        let id = try #require(try await timeline(relay, "con-quorum")["id"]?.stringValue)
        let cancelled = try await call(.POST, relay.baseURL + "/console/requests/\(id)/cancel", headers: ConsoleTests.form.merging(headers) { $1 },
                                       bodyText: "csrf=\(csrf)&reason=asked+twice")
        #expect(cancelled.status == 303 && cancelled.headers.first(name: "Location")?.hasSuffix("done=cancelled") == true, "\(cancelled.text)")
        let after = try await timeline(relay, "con-quorum")
        #expect(after["state"] == "cancelled" && after["decision_reason"] == "asked twice" && after["decision_actor"] == "console")
        let reloaded = try await call(.GET, relay.baseURL + "/console/requests/con-quorum?done=cancelled", headers: headers)
        #expect(reloaded.text.contains("Request cancelled") && !reloaded.text.contains("Cancel this request"))
        #expect(reloaded.text.contains("Resolution notice") == false && reloaded.text.contains("Delivery to b"))
        let refused = try await call(.POST, relay.baseURL + "/console/requests/\(id)/cancel", headers: ConsoleTests.form.merging(headers) { $1 },
                                     bodyText: "csrf=\(csrf)")
        #expect(refused.status == 303, "cancelling again is a duplicate: \(refused.status)")
        let noCSRF = try await call(.POST, relay.baseURL + "/console/requests/con-open/cancel", headers: ConsoleTests.form.merging(headers) { $1 },
                                    bodyText: "reason=x")
        #expect(noCSRF.status == 403)
        #expect(try await timeline(relay, "con-open")["state"] == "requested")

        // The overview's pictures: SVG from the relay itself, behind the session.
        let overview = try await call(.GET, relay.baseURL + "/console", headers: headers)
        #expect(overview.text.contains("/console/charts/activity.svg") && overview.text.contains("/console/charts/latency.svg"))
        for chart in ["activity", "latency"] {
            let svg = try await call(.GET, relay.baseURL + "/console/charts/\(chart).svg", headers: headers)
            #expect(svg.status == 200 && svg.headers.first(name: "Content-Type") == "image/svg+xml" && svg.text.hasPrefix("<svg"), "\(chart)")
            #expect(svg.text.contains("<polyline") || svg.text.contains("<circle"), "\(chart) draws the deliveries just made")
            #expect(try await call(.GET, relay.baseURL + "/console/charts/\(chart).svg").status == 303, "no picture without a session")
        }
        await approvers.stop()
    }
}
