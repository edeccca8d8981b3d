import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// The native submit door (SPEC §3.1) through real HTTP.
@Suite struct SubmitTests {
    @Test(arguments: StoreKind.allCases) func sameKeyTwiceIsOneRequestAndOneDelivery(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            let first = try await submit(relay, "c-idem", key: "key-1")
            let second = try await submit(relay, "c-idem", key: "key-1")
            #expect(first.status == 202 && second.status == 202)
            #expect(second.body == first.body)
            #expect(second.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(first.headers.first(name: "Idempotent-Replayed") == nil)
            try await eventually("the delivery") { try await firstMessage(relay, "c-idem")["state"] == "delivered" }
            try await Task.sleep(for: .milliseconds(150))
            #expect(adapter.requests.count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases) func sameKeyWithAnotherBodyIs422(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            _ = try await submit(relay, "c-a", key: "shared")
            let reused = try await submit(relay, "c-b", key: "shared")
            #expect(reused.status == 422 && reused.json?["code"] == "idempotency_key_reused")
            #expect(try await call(.GET, relay.baseURL + "/api/v1/requests/c-b", token: TestRelay.adminToken).status == 404)
        }
    }

    @Test(arguments: StoreKind.allCases) func aTakenCorrelationIdUnderANewKeyIs409(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            _ = try await submit(relay, "c-same", key: "k1")
            let again = try await submit(relay, "c-same", key: "k2")
            #expect(again.status == 409 && again.json?["field"] == "correlation_id")
        }
    }

    static let malformed: [(String, String?)] = [
        ("{", nil), ("[]", nil), ("{}", "kind"),
        (#"{"kind":"approval"}"#, "correlation_id"),
        (#"{"kind":"approval","correlation_id":"x","tool":"t","justification":"short"}"#, "justification"),
        (#"{"kind":"execution","correlation_id":"x","tool":{}}"#, "tool.name"),
        (#"{"kind":"approval","correlation_id":"x","tool":"t","justification":"long enough text","approval_request":"long enough text","risk_assessment":"long enough text","markup":"rst"}"#, "markup"),
        (#"{"kind":"approval","correlation_id":"x","tool":"t","justification":"long enough text","approval_request":"long enough text","risk_assessment":"long enough text","callback":{"url":"nope"}}"#, "callback.url"),
    ]

    @Test(arguments: malformed)
    func malformedBodiesAre400NamingTheFieldAndStoreNothing(body: String, field: String?) async throws {
        try await withHarness { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            let answer = try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                        headers: ["Idempotency-Key": "k"], body: Data(body.utf8))
            #expect(answer.status == 400, "\(answer.text)")
            #expect(answer.json?["code"] == "invalid_request")
            #expect(answer.json?["field"]?.stringValue == field)
            #expect(answer.json?["message"]?.stringValue?.isEmpty == false)
            #expect(try await call(.GET, relay.baseURL + "/api/v1/requests/x", token: TestRelay.adminToken).status == 404)
            // The key was not spent on a refused body: a valid submit under it goes through.
            #expect(try await submit(relay, "c-valid", key: "k").status == 202)
        }
    }

    @Test(arguments: StoreKind.allCases) func missingIdempotencyKeyIs400(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            let answer = try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken, body: approvalBody("c1"))
            #expect(answer.status == 400 && answer.json?["field"] == "Idempotency-Key")
        }
    }

    @Test(arguments: StoreKind.allCases) func oversizedBodyIs413(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url)
            let huge = approvalBody("c-huge", extra: ["arguments": .object(["blob": .string(String(repeating: "x", count: 300 * 1024))])])
            let answer = try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                        headers: ["Idempotency-Key": "k"], body: huge)
            #expect(answer.status == 413 && answer.json?["code"] == "body_too_large")
            #expect(try await call(.GET, relay.baseURL + "/api/v1/requests/c-huge", token: TestRelay.adminToken).status == 404)
        }
    }

    @Test(arguments: StoreKind.allCases) func noMatchingEndpointOrNoSinkIs422(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, adapter in
            let none = try await submit(relay, "c-none")
            #expect(none.status == 422 && none.json?["code"] == "no_endpoint")
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url, extra: ["tools": ["github_*"]])
            _ = try await registerEndpoint(relay, name: "exec", url: adapter.url, role: "executor")
            var body = try #require(JSONValue.parse(approvalBody("c-nosink"))?.objectValue)
            body["callback"] = nil
            let noSink = try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                        headers: ["Idempotency-Key": "k-nosink"], body: json(.object(body)))
            #expect(noSink.status == 422 && noSink.json?["code"] == "no_sink")
            let wrongRole = try await submit(relay, "c-role", extra: ["endpoints": ["exec"]])
            #expect(wrongRole.status == 422 && wrongRole.json?["field"] == "endpoints")
            let unknown = try await submit(relay, "c-unknown", extra: ["endpoints": ["nope"]])
            #expect(unknown.status == 422 && unknown.json?["code"] == "unknown_endpoint")
            let filtered = try await submit(relay, "c-filtered", extra: ["tool": "other_tool"])
            #expect(filtered.status == 422 && filtered.json?["code"] == "no_endpoint")
        }
    }

    @Test(arguments: StoreKind.allCases) func selectionGoesToEveryMatchingEnabledEndpoint(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "one", url: adapter.url + "/one")
            _ = try await registerEndpoint(relay, name: "two", url: adapter.url + "/two", extra: ["tools": ["github_*"]])
            _ = try await registerEndpoint(relay, name: "three", url: adapter.url + "/three", extra: ["tools": ["gitlab_*"]])
            _ = try await registerEndpoint(relay, name: "exec", url: adapter.url + "/exec", role: "executor")
            let answer = try await submit(relay, "c-fanout")
            let endpoints = answer.json?["messages"]?.arrayValue?.compactMap { $0["endpoint"]?.stringValue }.sorted()
            #expect(endpoints == ["one", "two"])
            try await eventually("both deliveries") { adapter.requests.count == 2 }
            #expect(Set(adapter.requests.map(\.path)) == ["/one", "/two"])
        }
    }
}
