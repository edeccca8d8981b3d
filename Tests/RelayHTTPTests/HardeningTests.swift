import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOHTTP1
import RelayContracts
import RelayCore
import RelayDelivery
import RelayHTTP
import RelayStore
import RelayTestSupport
import Testing

/// SPEC §11 through the real server on loopback: every attempt bounded, no door lending its trust to
/// another, sessions that end, throttled guesses, and clients that cannot hold the relay's connections.
@Suite struct HardeningTests {
    static let quickRetry = RetryPolicy(base: 0.05, cap: 0.2, maxAttempts: 100, attemptTimeout: 1, connectTimeout: 1)

    @Test func aPeerThatStallsMidAnswerCostsOneTimeoutAndHoldsUpNoOtherForward() async throws {
        let staller = try StallingPeer.start()
        let healthy = try await StandInServer.start(.status(200))
        let controlPlane = try await StandInServer.start(.status(200))
        let relay = try await TestRelay.start(
            retry: Self.quickRetry, controlPlane: ControlPlaneSettings(url: controlPlane.url + "/decisions", format: "native", token: nil, secret: nil),
            forwardConcurrency: 2, callbackURLConcurrency: 1
        )
        // A delivery to an adapter that sends its head and stalls: one timeout, recorded as such.
        _ = try await registerEndpoint(relay, name: "stall", url: staller.url + "/approve", extra: ["timeout_ms": 1000])
        let submitted = ContinuousClock.now
        #expect(try await submit(relay, "stalled", extra: ["endpoints": ["stall"]]).status == 202)
        try await eventually("the stalled attempt recorded", timeout: .seconds(10)) {
            try await firstMessage(relay, "stalled")["attempts"]?.arrayValue?.isEmpty == false
        }
        let first = try #require(try await firstMessage(relay, "stalled")["attempts"]?.arrayValue?.first)
        let recordedAfter = ContinuousClock.now - submitted
        let duration = try #require(first["duration_ms"]?.int64Value.map { Int($0) })
        #expect((950...2_500).contains(duration), "attempt took \(duration) ms for a 1000 ms timeout")
        #expect(first["outcome"] == "retryable")
        #expect(first["error"]?.stringValue?.contains("the answer's body did not finish within 1000 ms") == true, "\(first)")
        print("stalled peer: attempt recorded after \(recordedAfter), duration \(duration) ms (timeout 1000 ms)")

        // Two requests whose callback.url stalls, then one whose callback.url is healthy: with two forward
        // slots, the stalled URL holds one, the healthy forward and the control plane's are not held up.
        for name in ["cb-stall-1", "cb-stall-2"] {
            #expect(try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken, headers: ["Idempotency-Key": name],
                                   body: approvalBody(name, callback: staller.url + "/decisions", extra: ["endpoints": ["stall"]])).status == 202)
            #expect(try await decideShared(relay, name).status == 200)
        }
        try await eventually("both stalled forwards tried") { staller.stalled >= 3 }
        #expect(try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken, headers: ["Idempotency-Key": "cb-ok"],
                               body: approvalBody("cb-ok", callback: healthy.url + "/decisions", extra: ["endpoints": ["stall"]])).status == 202)
        let decided = ContinuousClock.now
        #expect(try await decideShared(relay, "cb-ok").status == 200)
        try await eventually("the healthy forward delivered", timeout: .seconds(15)) {
            healthy.requests.contains { JSONValue.parse($0.body)?["correlation_id"] == "cb-ok" }
        }
        let healthyAfter = ContinuousClock.now - decided
        try await eventually("the control plane got all three", timeout: .seconds(15)) { controlPlane.requests.count >= 3 }
        #expect(healthyAfter < .seconds(10), "the healthy forward waited \(healthyAfter); without the bound it waited out the stall (150 s)")
        print("stalled callback URL: an unrelated forward delivered \(healthyAfter) after its decision")
        await relay.stop()
        staller.stop()
        await healthy.stop()
        await controlPlane.stop()
    }

    @Test func anAnswerLargerThanTheBodyLimitIsCutAndRetried() async throws {
        let big = String(repeating: "x", count: 300 * 1024)
        try await withHarness(.status(200, body: big)) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "big", url: adapter.url + "/approve")
            #expect(try await submit(relay, "big").status == 202)
            try await eventually("the attempt") {
                try await firstMessage(relay, "big")["attempts"]?.arrayValue?.isEmpty == false
            }
            let attempt = try #require(try await firstMessage(relay, "big")["attempts"]?.arrayValue?.first)
            #expect(attempt["outcome"] == "retryable")
            #expect(attempt["error"]?.stringValue?.contains("exceeded 262144 bytes") == true, "\(attempt)")
        }
    }

    @Test func aForwardToACallbackURLNeverCarriesTheControlPlanesSignature() async throws {
        let controlPlane = try await StandInServer.start(.status(200))
        let callback = try await StandInServer.start(.status(200))
        let controlSecret = WebhookSecret.generate()
        let callbackSecret = WebhookSecret.generate()
        let relay = try await TestRelay.start(
            controlPlane: ControlPlaneSettings(url: controlPlane.url + "/decisions", format: "native", token: nil, secret: controlSecret),
            callbackSigningSecret: callbackSecret
        )
        _ = try await registerEndpoint(relay, name: "tg", url: callback.url + "/approve")
        #expect(try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken, headers: ["Idempotency-Key": "sig"],
                               body: approvalBody("sig", callback: callback.url + "/decisions")).status == 202)
        #expect(try await decideShared(relay, "sig").status == 200)
        try await eventually("both forwards") {
            controlPlane.requests.count == 1 && callback.requests.contains { $0.path == "/decisions" }
        }
        let toCallback = try #require(callback.requests.first { $0.path == "/decisions" })
        let toControlPlane = try #require(controlPlane.requests.first)
        func signed(_ received: ReceivedRequest, with secret: WebhookSecret) throws -> Bool {
            let expected = try expectedSignature(secret: secret.description, id: received.header("webhook-id") ?? "",
                                                 timestamp: received.header("webhook-timestamp") ?? "", body: received.body)
            return received.header("webhook-signature")?.split(separator: " ").contains { $0 == expected } == true
        }
        #expect(try signed(toControlPlane, with: controlSecret))
        #expect(try signed(toCallback, with: callbackSecret), "signed with callback_signing_secret")
        #expect(try !signed(toCallback, with: controlSecret), "the submitter's URL never gets a control-plane signature")
        await relay.stop()

        // Without callback_signing_secret, forwards to callback URLs go unsigned.
        let unsignedRelay = try await TestRelay.start(
            controlPlane: ControlPlaneSettings(url: controlPlane.url + "/decisions", format: "native", token: nil, secret: controlSecret)
        )
        _ = try await registerEndpoint(unsignedRelay, name: "tg", url: callback.url + "/approve")
        #expect(try await call(.POST, unsignedRelay.baseURL + "/api/v1/requests", token: TestRelay.submitToken, headers: ["Idempotency-Key": "u"],
                               body: approvalBody("unsigned", callback: callback.url + "/plain")).status == 202)
        #expect(try await decideShared(unsignedRelay, "unsigned").status == 200)
        try await eventually("the unsigned forward") { callback.requests.contains { $0.path == "/plain" } }
        #expect(callback.requests.first { $0.path == "/plain" }?.header("webhook-signature") == nil)
        await unsignedRelay.stop()
        await controlPlane.stop()
        await callback.stop()
    }

    @Test(arguments: StoreKind.allCases) func aSecondOpenRequestWithTheSameApprovalRequestIdIs409(_ store: StoreKind) async throws {
        try await withHarness(store: store) { relay, adapter in
            _ = try await registerEndpoint(relay, name: "tg", url: adapter.url + "/approve")
            #expect(try await submit(relay, "arid-1", extra: ["approval_request_id": 501]).status == 202)
            let second = try await submit(relay, "arid-2", extra: ["approval_request_id": 501])
            #expect(second.status == 409 && second.json?["code"] == "approval_request_id_open" && second.json?["field"] == "approval_request_id",
                    "\(second.text)")
            #expect(second.json?["message"]?.stringValue?.contains("501") == true)
            #expect(try await call(.GET, relay.baseURL + "/api/v1/requests/arid-2", token: TestRelay.adminToken).status == 404, "nothing stored")
            // The first one decided (contract B names it by the id), the id may be used again.
            let decided = try await call(.POST, relay.baseURL + "/api/v1/mcp/approver/callback", token: TestRelay.callbackToken,
                                         body: json(["approval_request_id": 501, "decision": "denied"]))
            #expect(decided.json?["correlation_id"] == "arid-1")
            #expect(try await submit(relay, "arid-2", key: "arid-2-again", extra: ["approval_request_id": 501]).status == 202)
        }
    }

    @Test func aRepeatedEndpointNameIsOneDeliveryAndMoreThan32Is400() async throws {
        try await withHarness { relay, adapter in
            _ = try await registerEndpoint(relay, name: "a", url: adapter.url + "/approve")
            #expect(try await submit(relay, "dup", extra: ["endpoints": .array(Array(repeating: "a", count: 300))]).status == 202)
            try await eventually("delivered") { adapter.requests.count == 1 }
            #expect(try await timeline(relay, "dup")["messages"]?.arrayValue?.filter { $0["purpose"] == "delivery" }.count == 1)
            let many = try await submit(relay, "many", extra: ["endpoints": .array((0...32).map { .string("e\($0)") })])
            #expect(many.status == 400 && many.json?["field"] == "endpoints", "\(many.text)")
            try await Task.sleep(for: .milliseconds(300))
            #expect(adapter.requests.count == 1, "one POST for the repeated name")
        }
    }

    @Test func aCallbackJustAfterTheDeadlineIs409() async throws {
        let clock = ManualClock(Date())
        let adapter = try await StandInServer.start()
        let relay = try await TestRelay.start(clock: clock)
        _ = try await registerEndpoint(relay, name: "tg", url: adapter.url + "/approve")
        #expect(try await submit(relay, "deadline", extra: ["timeout_sec": 60]).status == 202)
        clock.advance(by: 60.2)
        let late = try await decideShared(relay, "deadline")
        #expect(late.status == 409 && late.json?["state"] == "expired", "\(late.text)")
        #expect(try await timeline(relay, "deadline")["state"] == "expired")
        await relay.stop()
        await adapter.stop()
    }

    @Test func aNonCanonicalAddressIsRefusedAtRegistrationAndAtSubmit() async throws {
        let relay = try await TestRelay.start()
        for url in ["http://0177.0.0.1:9/approve", "http://0x7f.0.0.1/", "http://2130706433/"] {
            let answer = try await call(.POST, relay.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken,
                                        body: json(["name": "bad", "role": "approver", "url": .string(url)]))
            #expect(answer.status == 422 && answer.json?["code"] == "url_refused" && answer.json?["field"] == "url", "\(url): \(answer.text)")
        }
        #expect(try await relay.store.endpoints().isEmpty)
        _ = try await registerEndpoint(relay, name: "tg", url: "http://127.0.0.1:9/approve")
        let native = try await submit(relay, "octal", extra: ["callback": ["url": "http://0251.0376.0251.0376/decisions"]])
        #expect(native.status == 422 && native.json?["code"] == "callback_url_refused", "\(native.text)")
        var dropIn = try #require(JSONValue.parse(approvalBody("octal-drop-in", callback: "http://0177.0.0.1:8080/approvals/webhook"))?.objectValue)
        dropIn["kind"] = nil
        let refused = try await call(.POST, relay.baseURL + "/approve", token: TestRelay.submitToken, body: json(.object(dropIn)))
        #expect(refused.status == 422 && refused.json?["decision"] == "error", "\(refused.text)")
        #expect(try await call(.GET, relay.baseURL + "/api/v1/requests/octal", token: TestRelay.adminToken).status == 404, "nothing stored")
        await relay.stop()
    }

    @Test func aNameLookupThatHangsCountsAgainstTheAttemptsDeadline() async throws {
        // A resolver that never answers in time, as a dead DNS server does (getaddrinfo has no timeout of its own).
        let hanging = EgressGuard(policy: EgressPolicy(), resolve: { _ in
            Thread.sleep(forTimeInterval: 5)
            return []
        })
        let relay = try await TestRelay.start(egress: hanging)
        _ = try await registerEndpoint(relay, name: "slow-dns", url: "http://adapter.dns-hangs.test/approve", extra: ["timeout_ms": 500])
        #expect(try await submit(relay, "dns").status == 202)
        try await eventually("the attempt", timeout: .seconds(10)) {
            try await firstMessage(relay, "dns")["attempts"]?.arrayValue?.isEmpty == false
        }
        let attempt = try #require(try await firstMessage(relay, "dns")["attempts"]?.arrayValue?.first)
        #expect(attempt["error"] == "timed out: name lookup did not finish within 500 ms", "\(attempt)")
        #expect((attempt["duration_ms"]?.int64Value ?? .max) < 3_000, "not the resolver's 5 s")
        await relay.stop()
    }

    @Test func aCookieIsRefusedAfterSignOut() async throws {
        let relay = try await TestRelay.start()
        let cookie = try await consoleSignIn(relay)
        let page = try await call(.GET, relay.baseURL + "/console", headers: ["Cookie": cookie])
        #expect(page.status == 200)
        let csrf = try #require(page.text.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
        let out = try await call(.POST, relay.baseURL + "/console/sign-out", headers: ConsoleTests.form.merging(["Cookie": cookie]) { $1 },
                                 bodyText: "csrf=\(csrf)")
        #expect(out.status == 303)
        // The copied cookie and its CSRF token: neither a page nor a form works any more.
        let reused = try await call(.GET, relay.baseURL + "/console", headers: ["Cookie": cookie])
        #expect(reused.status == 303 && reused.headers.first(name: "Location")?.hasPrefix("/console/sign-in") == true)
        _ = try await registerEndpoint(relay, name: "tg", url: "http://127.0.0.1:9/x")
        let rotate = try await call(.POST, relay.baseURL + "/console/endpoints/tg/disable", headers: ConsoleTests.form.merging(["Cookie": cookie]) { $1 },
                                    bodyText: "csrf=\(csrf)")
        #expect(rotate.status == 303 && rotate.headers.first(name: "Location") == "/console/sign-in")
        #expect(try await call(.GET, relay.baseURL + "/api/v1/endpoints/tg", token: TestRelay.adminToken).json?["enabled"] == true)
        await relay.stop()
    }

    @Test func repeatedWrongTokensAreSlowedThen429WhileTheRightOneIsNot() async throws {
        let throttle = FailureThrottle(policy: .init(limit: 4, window: 60, baseDelay: .milliseconds(300), maximumDelay: .milliseconds(1200)))
        let relay = try await TestRelay.start(throttle: throttle)
        var timings: [Duration] = []
        for _ in 0..<4 {
            let started = ContinuousClock.now
            #expect(try await call(.GET, relay.baseURL + "/api/v1/endpoints", token: "wrong-token-0123456789").status == 401)
            timings.append(ContinuousClock.now - started)
        }
        #expect(timings[3] >= .milliseconds(1200) && timings.reduce(.zero, +) >= .milliseconds(3300), "the delay grows: \(timings)")
        let refused = try await call(.POST, relay.baseURL + "/approvals/webhook", token: "another-wrong-token-000",
                                     body: json(["correlation_id": "x", "decision": "approve"]))
        #expect(refused.status == 429 && refused.json?["code"] == "too_many_failures", "every door counts: \(refused.text)")
        #expect(Int(refused.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
        let unknownCapability = try await call(.POST, relay.baseURL + "/callbacks/guessed-token", body: json(["decision": "approve"]))
        #expect(unknownCapability.status == 429, "a guessed capability URL is a failed token check too")
        // Correct credentials from the same address: answered (not 429), and not counted as a failure.
        let counted = throttle.failures(of: "127.0.0.1", now: Date())
        #expect(try await call(.GET, relay.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken).status == 200)
        #expect(throttle.failures(of: "127.0.0.1", now: Date()) == counted)
        // The console's sign-in counts too.
        let cookie = try await consoleSignIn(relay, token: "wrong-wrong-wrong-wrong", expect: 429)
        #expect(cookie.isEmpty)
        await relay.stop()
    }

    @Test func aSlowBodyAndIdleConnectionsAreClosedAndTheConnectionCapHolds() async throws {
        var settings = RelaySettings(adminToken: TestRelay.adminToken, submitToken: TestRelay.submitToken, callbackToken: TestRelay.callbackToken)
        settings.requestReadTimeout = 1.5
        settings.maxConnections = 3
        let relay = try await TestRelay.start(settings: settings)
        let port = relay.port
        // One byte every 300 ms keeps an idle timer quiet; the read deadline still ends it.
        let started = ContinuousClock.now
        let trickle = await offPool { () -> Bool in
            guard let fd = RawConnection.open(port: port) else { return false }
            defer { close(fd) }
            RawConnection.send(fd, "POST /approvals/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            for _ in 0..<30 {
                if !RawConnection.send(fd, "{") || RawConnection.isClosed(fd) { return true }
                usleep(300_000)
            }
            return false
        }
        #expect(trickle, "the trickling connection was closed")
        #expect(ContinuousClock.now - started < .seconds(4), "closed after \(ContinuousClock.now - started)")
        // Three idle connections fill the cap: a fourth is not served until the deadline closes them.
        let served = await offPool { () -> (whileFull: Bool, after: Bool) in
            let idle = (0..<3).compactMap { _ in RawConnection.open(port: port) }
            defer { idle.forEach { close($0) } }
            usleep(200_000)
            guard let fourth = RawConnection.open(port: port) else { return (true, false) }
            defer { close(fourth) }
            RawConnection.send(fourth, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let early = RawConnection.read(fourth, timeout: 0.8)
            let late = early.isEmpty ? RawConnection.read(fourth, timeout: 4) : early
            return (!early.isEmpty, late.hasPrefix("HTTP/1.1 200"))
        }
        #expect(served.whileFull == false, "the fourth connection waited while three idle ones held the cap")
        #expect(served.after, "and was served once the read deadline closed them")
        #expect(try await call(.GET, relay.baseURL + "/healthz").status == 200)
        await relay.stop()
    }
}

/// A contract-A approval through the shared-token path.
func decideShared(_ relay: TestRelay, _ correlationId: String, decision: String = "approve") async throws -> Answer {
    try await call(.POST, relay.baseURL + "/approvals/webhook", token: TestRelay.callbackToken,
                   body: json(["correlation_id": .string(correlationId), "decision": .string(decision), "reason": "ok"]))
}

/// Signs in to the console and returns the session cookie (empty when sign-in answered `expect` instead of 303).
func consoleSignIn(_ relay: TestRelay, token: String = TestRelay.adminToken, expect: Int = 303) async throws -> String {
    let page = try await call(.GET, relay.baseURL + "/console/sign-in")
    let preSession = try #require(page.headers[canonicalForm: "Set-Cookie"].first { $0.hasPrefix("relay_console_signin=") })
    let nonceCookie = String(preSession.split(separator: ";")[0])
    let csrf = try #require(page.text.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
    let answer = try await call(.POST, relay.baseURL + "/console/sign-in", headers: ConsoleTests.form.merging(["Cookie": nonceCookie]) { $1 },
                                bodyText: "token=\(token)&csrf=\(csrf)")
    #expect(answer.status == expect, "\(answer.status) \(answer.text.prefix(200))")
    guard answer.status == 303 else { return "" }
    let session = try #require(answer.headers[canonicalForm: "Set-Cookie"].first { $0.hasPrefix("relay_console=") })
    return String(session.split(separator: ";")[0])
}
