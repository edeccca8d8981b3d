import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// The admin API's endpoint and dead-letter routes: the happy path and every refusal.
@Suite struct AdminTests {
    @Test(arguments: StoreKind.allCases) func endpointLifecycle(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, adapter in
            let base = relay.baseURL + "/api/v1/endpoints"
            let created = try await registerEndpoint(relay, name: "tg", url: adapter.url, extra: [
                "headers": ["Authorization": "Bearer x"], "tools": ["github_*"], "max_attempts": 5, "timeout_ms": 2000, "concurrency": 3,
            ])
            #expect(created.secret.hasPrefix("whsec_"))
            let shown = try await call(.GET, base + "/tg", token: TestRelay.adminToken)
            #expect(shown.json?["secret"] == nil && !shown.text.contains(created.secret))
            #expect(shown.json?["headers"] == ["Authorization": "<redacted>"])
            #expect(shown.json?["concurrency"] == 3 && shown.json?["max_attempts"] == 5 && shown.json?["tools"] == ["github_*"])
            #expect(shown.json?["circuit"] == "closed" && shown.json?["consecutive_failures"] == 0)
            #expect(try await call(.GET, base + "/\(created.id)", token: TestRelay.adminToken).json?["name"] == "tg")
            let updated = try await call(.PATCH, base + "/tg", token: TestRelay.adminToken,
                                         body: json(["url": .string(adapter.url + "/v2"), "max_attempts": .null, "enabled": false]))
            #expect(updated.status == 200 && updated.json?["max_attempts"] == nil && updated.json?["enabled"] == false)
            #expect(updated.json?["url"]?.stringValue?.hasSuffix("/v2") == true)
            let list = try await call(.GET, base, token: TestRelay.adminToken)
            #expect(list.json?["items"]?.arrayValue?.count == 1)
            #expect(try await call(.DELETE, base + "/tg", token: TestRelay.adminToken).status == 204)
            #expect(try await call(.GET, base + "/tg", token: TestRelay.adminToken).status == 404)
        }
    }

    @Test(arguments: StoreKind.allCases) func aBusyEndpointCannotBeDeleted(_ store: StoreKind) async throws {
        try await withHarness(store: store, .status(503)) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url, extra: ["max_attempts": 100])
            _ = try await submit(relay, "c-busy")
            let answer = try await call(.DELETE, relay.baseURL + "/api/v1/endpoints/tg", token: TestRelay.adminToken)
            #expect(answer.status == 409 && answer.json?["code"] == "endpoint_busy")
        }
    }

    static let badEndpoints: [(String, String?)] = [
        ("{", nil), ("[]", nil), (#"{"role":"approver","url":"http://x"}"#, "name"),
        (#"{"name":"bad name!","role":"approver","url":"http://x"}"#, "name"),
        (#"{"name":"a","url":"http://x"}"#, "role"), (#"{"name":"a","role":"boss","url":"http://x"}"#, "role"),
        (#"{"name":"a","role":"approver"}"#, "url"), (#"{"name":"a","role":"approver","url":"ftp://x"}"#, "url"),
        (#"{"name":"a","role":"approver","url":"http://x","headers":{"webhook-signature":"x"}}"#, "headers"),
        (#"{"name":"a","role":"approver","url":"http://x","headers":{"a":1}}"#, "headers"),
        (#"{"name":"a","role":"approver","url":"http://x","tools":"x"}"#, "tools"),
        (#"{"name":"a","role":"approver","url":"http://x","concurrency":0}"#, "concurrency"),
        (#"{"name":"a","role":"approver","url":"http://x","max_attempts":1000}"#, "max_attempts"),
        (#"{"name":"a","role":"approver","url":"http://x","timeout_ms":"fast"}"#, "timeout_ms"),
        (#"{"name":"a","role":"approver","url":"http://x","secret":"plain"}"#, "secret"),
        (#"{"name":"a","role":"approver","url":"http://x","colour":"red"}"#, "colour"),
    ]

    @Test(arguments: badEndpoints)
    func malformedEndpointsAre400NamingTheField(body: String, field: String?) async throws {
        try await withHarness { relay, _ in
            let answer = try await call(.POST, relay.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken, body: Data(body.utf8))
            #expect(answer.status == 400, "\(answer.text)")
            #expect(answer.json?["field"]?.stringValue == field)
            let list = try await call(.GET, relay.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken)
            #expect(list.json?["items"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test(arguments: StoreKind.allCases) func duplicateNamesAre409(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            let again = try await call(.POST, relay.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken,
                                       body: json(["name": "tg", "role": "approver", "url": .string(adapter.url)]))
            #expect(again.status == 409 && again.json?["field"] == "name")
        }
    }

    @Test(arguments: StoreKind.allCases) func rotationGraceIsValidated(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            let bad = try await call(.POST, relay.baseURL + "/api/v1/endpoints/tg/rotate-secret", token: TestRelay.adminToken,
                                     body: json(["grace_sec": -5]))
            #expect(bad.status == 400 && bad.json?["field"] == "grace_sec")
            let immediate = try await call(.POST, relay.baseURL + "/api/v1/endpoints/tg/rotate-secret", token: TestRelay.adminToken,
                                           body: json(["grace_sec": 0]))
            #expect(immediate.status == 200 && immediate.json?["previous_secret_expires_at"] == nil)
        }
    }

    @Test(arguments: [("kind=other", "kind"), ("reason=bad", "reason"), ("since=yesterday", "since"), ("limit=0", "limit"),
                      ("limit=501", "limit"), ("cursor=%25%25", "cursor"), ("colour=red", "colour")])
    func malformedDeadLetterQueriesAre400(query: String, field: String) async throws {
        try await withHarness { relay, _ in
            let answer = try await call(.GET, relay.baseURL + "/api/v1/dead-letters?\(query)", token: TestRelay.adminToken)
            #expect(answer.status == 400 && answer.json?["field"]?.stringValue == field, "\(answer.text)")
        }
    }

    @Test(arguments: StoreKind.allCases) func unknownRequestIs404(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, _ in
            let answer = try await call(.GET, relay.baseURL + "/api/v1/requests/nope", token: TestRelay.adminToken)
            #expect(answer.status == 404 && answer.json?["code"] == "not_found")
        }
    }
}
