import Foundation
import NIOHTTP1
import RelayAssembly
import RelayCore
import RelayTestSupport
import Testing

/// SPEC §14, traces: the relay binary with the standard OTEL_* variables exports over OTLP/HTTP, and one trace holds a
/// request's submit, its delivery attempt, the adapter's callback and the forward, each with the right parent; the
/// receivers get `traceparent`; a malformed incoming one starts a new trace and is never refused; logs carry the id.
@Suite(.serialized) struct TracingTests {
    static let caller = (trace: "4bf92f3577b34da6a3ce929d0e0e4736", span: "00f067aa0ba902b7")

    @Test(arguments: StoreKind.allCases) func oneTraceFromTheSubmitThroughTheCallbackToTheForward(_ store: StoreKind) async throws {
        let receiver = try await OTLPReceiver.start()
        let adapter = try await StandInServer.start()
        let controlPlane = try await StandInServer.start(.status(200))
        let location = try await TestStores.fresh(store)
        let relay = try await RelayProcess.start(environment: [
            "RELAY_DATABASE": location.databaseSetting, "RELAY_CALLBACK_KEY": Data(TestRelay.callbackKey).base64EncodedString(),
            "RELAY_ADMIN_TOKEN": TestRelay.adminToken, "RELAY_SUBMIT_TOKEN": TestRelay.submitToken, "RELAY_LOG_LEVEL": "info",
            "RELAY_CONTROL_PLANE_URL": controlPlane.url + "/decisions", "RELAY_CONTROL_PLANE_FORMAT": "native",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_SERVICE_NAME": "relay-under-test",
        ])
        _ = try await call(.POST, relay.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken,
                           body: json(["name": "tg", "role": "approver", "url": .string(adapter.url + "/approve")]))
        let submitted = try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                       headers: ["Idempotency-Key": "tr-1", "traceparent": "00-\(Self.caller.trace)-\(Self.caller.span)-01"],
                                       body: approvalBody("tr-1"))
        #expect(submitted.status == 202, "\(submitted.text)")
        try await eventually("the delivery") { !adapter.requests.isEmpty }
        let delivery = adapter.requests[0]
        let sent = try #require(delivery.header("traceparent"))
        #expect(sent.hasPrefix("00-\(Self.caller.trace)-"), "the delivery continues the caller's trace: \(sent)")
        // The adapter answers hours later in its own span of the same trace (here at once: the relay keeps the context in its store).
        let adapterSpan = "a1b2c3d4e5f60718"
        let url = try #require(JSONValue.parse(delivery.body)?["callback"]?["url"]?.stringValue)
        let answered = try await call(.POST, url, headers: ["traceparent": "00-\(Self.caller.trace)-\(adapterSpan)-01"],
                                      body: json(["decision": "approve", "reason": "fine"]))
        #expect(answered.status == 200, "\(answered.text)")
        try await eventually("the forward") { !controlPlane.requests.isEmpty }
        let forwarded = try #require(controlPlane.requests[0].header("traceparent"))

        // A malformed traceparent: accepted, and a new trace.
        let malformed = try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                       headers: ["Idempotency-Key": "tr-2", "traceparent": "00-not-a-trace-01"], body: approvalBody("tr-2"))
        #expect(malformed.status == 202, "\(malformed.text)")
        try await eventually("tr-2 delivered") { adapter.requests.count >= 2 }
        #expect(await relay.stop() == 0)  // SIGTERM: the exporter flushes on its way out

        try await eventually("the spans exported") { receiver.spans.filter { $0.traceID == Self.caller.trace }.count >= 4 }
        let spans = receiver.spans.filter { $0.traceID == Self.caller.trace }
        let submit = try #require(spans.first { $0.name == "submit" })
        let attempt = try #require(spans.first { $0.name == "delivery" })
        let callback = try #require(spans.first { $0.name == "callback" })
        // The decision goes to the request's own callback URL and to the configured control plane: two forwards.
        let forward = try #require(spans.first { $0.name == "forward" && $0.attributes["relay.endpoint"] == "control-plane" })
        #expect(submit.kind == 2 && submit.parent == Self.caller.span, "the submit continues the caller's span")
        #expect(attempt.kind == 3 && attempt.parent == submit.spanID, "the attempt is the submit's child")
        #expect(callback.kind == 2 && callback.parent == adapterSpan, "the callback is the adapter's child")
        #expect(forward.kind == 3 && forward.parent == callback.spanID, "the forward is the callback's child")
        #expect(sent == "00-\(Self.caller.trace)-\(attempt.spanID)-01" && forwarded == "00-\(Self.caller.trace)-\(forward.spanID)-01")
        let others = receiver.spans.filter { $0.traceID != Self.caller.trace && $0.name == "submit" }
        #expect(others.count == 1 && others[0].parent.isEmpty, "a malformed traceparent starts a new trace")
        #expect(relay.log.contains("trace_id=\(Self.caller.trace)"), "logs carry the trace id")
        await receiver.stop()
        await adapter.stop()
        await controlPlane.stop()
    }

    /// Off unless OTEL_* asks for it; what the exporter cannot honour stops the start, naming the variable.
    @Test func exportIsOffUnlessConfiguredAndUnsupportedValuesAreRefused() throws {
        #expect(try Observability.enabled([:]) == false)
        #expect(try Observability.enabled(["OTEL_SERVICE_NAME": "x"]) == false)
        #expect(try Observability.enabled(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]) == true)
        #expect(try Observability.enabled(["OTEL_TRACES_EXPORTER": "otlp"]) == true)
        #expect(try Observability.enabled(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"]) == false)
        #expect(try Observability.enabled(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"]) == false)
        for bad in [["OTEL_TRACES_EXPORTER": "zipkin"], ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_TRACES_EXPORTER": "otlp"],
                    ["OTEL_PROPAGATORS": "tracecontext,baggage", "OTEL_TRACES_EXPORTER": "otlp"],
                    ["OTEL_TRACES_SAMPLER": "xray", "OTEL_TRACES_EXPORTER": "otlp"]] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try Observability.enabled(bad) }
        }
    }

    /// With tracing off the caller's trace context still travels: stored with the request and sent on unchanged.
    @Test(arguments: StoreKind.allCases) func withTracingOffTheCallersContextPassesThrough(_ store: StoreKind) async throws {
        try await withFlow(store: store) { flow in
            try await flow.registerAdapters()
            let parent = "00-\(Self.caller.trace)-\(Self.caller.span)-01"
            let answer = try await call(.POST, flow.relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                        headers: ["Idempotency-Key": "tr-off", "traceparent": parent, "tracestate": "vendor=1"],
                                        body: approvalBody("tr-off", callback: flow.receiver.url + "/approvals/webhook"))
            #expect(answer.status == 202)
            let url = try await flow.callbackURL(of: "tr-off")
            #expect(flow.delivery(of: "tr-off")?.header("traceparent") == parent && flow.delivery(of: "tr-off")?.header("tracestate") == "vendor=1")
            #expect(try await flow.callBack(url, ["decision": "approve"]).status == 200)
            try await eventually("the forward") { !flow.forwards(of: "tr-off").isEmpty }
            #expect(flow.receiver.requests.first?.header("traceparent") == parent)
        }
    }
}
