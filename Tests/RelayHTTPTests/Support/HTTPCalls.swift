import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RelayCore
import Testing

/// An answer from the relay under test.
struct Answer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    var json: JSONValue? { JSONValue.parse(body) }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// The tests' client: a redirect (the console's 303s) is an answer to check, not to follow. Tests send
/// bursts (50 racing callbacks) to one relay: room for each in the pool, and a connection wait as long as
/// the request timeout, so that a loaded machine slows a burst down instead of failing it.
let notFollowingRedirects: HTTPClient = {
    var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
    configuration.timeout.connect = .seconds(30)
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}()

/// Sends one request over real HTTP.
func call(_ method: HTTPMethod, _ url: String, token: String? = nil, headers: [String: String] = [:],
          body: Data? = nil) async throws -> Answer {
    var request = HTTPClientRequest(url: url)
    request.method = method
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body {
        if headers["Content-Type"] == nil { request.headers.add(name: "Content-Type", value: "application/json") }
        request.body = .bytes(ByteBuffer(bytes: body))
    }
    let response = try await notFollowingRedirects.execute(request, timeout: .seconds(30))
    let collected = try await response.body.collect(upTo: 64 * 1024 * 1024)
    return Answer(status: Int(response.status.code), headers: response.headers, body: Data(collected.readableBytesView))
}

/// A request with a body that is not JSON (a browser's form), its type in `headers`.
func call(_ method: HTTPMethod, _ url: String, headers: [String: String], bodyText: String) async throws -> Answer {
    try await call(method, url, headers: headers, body: Data(bodyText.utf8))
}

func json(_ value: JSONValue) -> Data { value.encoded() }

/// Waits (polling real time, bounded) until `condition` holds; the tests never sleep for backoff itself.
func eventually(_ what: String, timeout: Duration = .seconds(15),
                _ condition: @Sendable () async throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}

/// Lets `clock` run `step` seconds at a time, waking `relay` each step, until `condition` holds: a retry comes due
/// whenever the relay scheduled it, however late a loaded machine got to the attempt, which one jump of the clock
/// made before the attempt was recorded would leave waiting forever.
func eventually(_ what: String, advancing clock: ManualClock, by step: TimeInterval, on relay: TestRelay, timeout: Duration = .seconds(15),
                _ condition: @Sendable () async throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await eventually(what, timeout: timeout, {
        if try await condition() { return true }
        clock.advance(by: step)
        relay.poke()
        return false
    }, sourceLocation: sourceLocation)
}

/// A valid native approval submit.
func approvalBody(_ correlationId: String, callback: String = "http://127.0.0.1:1/decisions", extra: [String: JSONValue] = [:]) -> Data {
    var object: [String: JSONValue] = [
        "kind": "approval", "correlation_id": .string(correlationId), "tool": "github_create_env_secret_k8s",
        "arguments": ["namespace": "ai-staging"],
        "justification": "Need a new password for the billing service.",
        "approval_request": "Create a secret and inject it into Kubernetes.",
        "risk_assessment": "May affect DB access if the new secret is misused.",
        "callback": ["url": .string(callback)],
    ]
    for (key, value) in extra { object[key] = value }
    return json(.object(object))
}
