import Crypto
import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// Registers an endpoint through the admin API and returns its id and secret.
func registerEndpoint(_ relay: TestRelay, name: String, url: String, role: String = "approver",
                      extra: [String: JSONValue] = [:]) async throws -> (id: String, secret: String) {
    var body: [String: JSONValue] = ["name": .string(name), "role": .string(role), "url": .string(url)]
    for (key, value) in extra { body[key] = value }
    let answer = try await call(.POST, relay.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken, body: json(.object(body)))
    #expect(answer.status == 201, "\(answer.text)")
    let created = try #require(answer.json)
    return (try #require(created["id"]?.stringValue), try #require(created["secret"]?.stringValue))
}

/// Submits a native approval; returns the answer.
func submit(_ relay: TestRelay, _ correlationId: String, key: String? = nil, extra: [String: JSONValue] = [:]) async throws -> Answer {
    try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                   headers: ["Idempotency-Key": key ?? "key-\(correlationId)"], body: approvalBody(correlationId, extra: extra))
}

/// The request's timeline from the admin API.
func timeline(_ relay: TestRelay, _ key: String) async throws -> JSONValue {
    let answer = try await call(.GET, relay.baseURL + "/api/v1/requests/\(key)", token: TestRelay.adminToken)
    #expect(answer.status == 200, "\(answer.text)")
    return try #require(answer.json)
}

/// The first message of a request's timeline.
func firstMessage(_ relay: TestRelay, _ key: String) async throws -> JSONValue {
    try #require(try await timeline(relay, key)["messages"]?.arrayValue?.first)
}

/// An independent Standard Webhooks check: HMAC-SHA256 over "<id>.<timestamp>.<raw body>" with the secret's key.
func expectedSignature(secret: String, id: String, timestamp: String, body: Data) throws -> String {
    let key = try #require(Data(base64Encoded: String(secret.dropFirst("whsec_".count))))
    var signed = Data("\(id).\(timestamp).".utf8)
    signed.append(body)
    let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
    return "v1," + Data(mac).base64EncodedString()
}

/// Runs `body` against a fresh relay and a stand-in adapter answering `script` then `fallback`; stops both after.
func withHarness(
    store: StoreKind = .sqlite, _ fallback: CannedAnswer = .accepted, script: [CannedAnswer] = [], clock: any RelayClock = SystemClock(),
    _ body: (TestRelay, StandInServer) async throws -> Void
) async throws {
    let adapter = try await StandInServer.start(fallback)
    adapter.answer(script)
    let relay = try await TestRelay.start(store: store, clock: clock)
    do {
        try await body(relay, adapter)
    } catch {
        await relay.stop()
        await adapter.stop()
        throw error
    }
    await relay.stop()
    await adapter.stop()
}

/// Verifies a received delivery with the official `standardwebhooks` Python library, unchanged.
/// Returns the library's complaint, or nil when it accepts the signature.
func officialVerification(secret: String, received: ReceivedRequest) async throws -> String? {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-sw-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let bodyFile = folder.appendingPathComponent("body")
    try received.body.write(to: bodyFile)
    let run = try await runPython("""
        import os, sys
        from standardwebhooks.webhooks import Webhook
        body = open(sys.argv[1], "rb").read()
        headers = {"webhook-id": os.environ["WH_ID"], "webhook-timestamp": os.environ["WH_TS"], "webhook-signature": os.environ["WH_SIG"]}
        Webhook(os.environ["WH_SECRET"]).verify(body, headers)
        """, arguments: [bodyFile.path], environment: [
        "WH_ID": received.header("webhook-id") ?? "", "WH_TS": received.header("webhook-timestamp") ?? "",
        "WH_SIG": received.header("webhook-signature") ?? "", "WH_SECRET": secret,
    ])
    return run.status == 0 ? nil : run.errors
}
