import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import RelayHTTP
import Testing

/// Every route refuses a call without its token, with a wrong one, or with another route's token.
@Suite struct AuthTests {
    static let adminRoutes: [(HTTPMethod, String)] = [
        (.POST, "/api/v1/endpoints"), (.GET, "/api/v1/endpoints"), (.GET, "/api/v1/endpoints/x"),
        (.PATCH, "/api/v1/endpoints/x"), (.DELETE, "/api/v1/endpoints/x"), (.POST, "/api/v1/endpoints/x/rotate-secret"),
        (.POST, "/api/v1/endpoints/x/enable"), (.POST, "/api/v1/endpoints/x/disable"), (.GET, "/api/v1/requests/x"),
        (.GET, "/api/v1/dead-letters"), (.POST, "/api/v1/dead-letters/x/replay"),
    ]
    static let submitRoutes: [(HTTPMethod, String)] = [(.POST, "/api/v1/requests")]

    @Test(arguments: StoreKind.allCases) func everyRouteRefusesMissingWrongAndForeignTokens(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, _ in
            let cases: [([(HTTPMethod, String)], [String?])] = [
                (Self.adminRoutes, [nil, "bogus-token-zz9", TestRelay.submitToken, TestRelay.callbackToken]),
                (Self.submitRoutes, [nil, "bogus-token-zz9", TestRelay.adminToken, TestRelay.callbackToken]),
            ]
            for (routes, tokens) in cases {
                for (method, path) in routes {
                    for token in tokens {
                        let answer = try await call(method, relay.baseURL + path, token: token,
                                                    headers: ["Idempotency-Key": "k"], body: Data("{}".utf8))
                        #expect(answer.status == 401, "\(method) \(path) with \(token ?? "no token")")
                        #expect(answer.json?["code"] == "unauthorized")
                        #expect(answer.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer") == true)
                        if let token { #expect(!answer.text.contains(token)) }
                    }
                }
            }
        }
    }

    @Test(arguments: StoreKind.allCases) func aRelayWithoutTokensRefusesEveryCall(_ store: StoreKind) async throws {
        let relay = try await TestRelay.start(store: store, settings: RelaySettings())
        let admin = try await call(.GET, relay.baseURL + "/api/v1/endpoints", token: "anything")
        let submit = try await call(.POST, relay.baseURL + "/api/v1/requests", token: "anything", body: Data("{}".utf8))
        await relay.stop()
        #expect(admin.status == 401 && admin.json?["message"]?.stringValue?.contains("RELAY_ADMIN_TOKEN") == true)
        #expect(submit.status == 401 && submit.json?["message"]?.stringValue?.contains("RELAY_SUBMIT_TOKEN") == true)
    }

    @Test(arguments: StoreKind.allCases) func healthIsOpen(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, _ in
            #expect(try await call(.GET, relay.baseURL + "/healthz").status == 200)
            let ready = try await call(.GET, relay.baseURL + "/readyz")
            #expect(ready.status == 200 && ready.json?["status"] == "ready")
        }
    }

    @Test(arguments: StoreKind.allCases) func unknownRoutesAnswerInTheErrorShape(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, _ in
            let answer = try await call(.GET, relay.baseURL + "/nowhere")
            #expect(answer.status == 404 && answer.json?["code"] == "not_found")
        }
    }
}
