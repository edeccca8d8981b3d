import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import Synchronization

/// Behaves as telegram-approver and telegram-executor do (their February 2026 sources, read for SPEC §16):
/// - `internal/telegram/service.go`, `SubmitApproval` / `SubmitExecution`: the request is added to the
///   registry *before* the Telegram send, and stays there when the send fails; a second submit of the same
///   correlation id answers `approval already exists` / `execution already exists` and sends nothing.
/// - `internal/http/approve.go` / `execute.go`: every outcome is HTTP 202 with `decision`/`reason` (executor:
///   `status`/`result`) and `correlation_id`; the adapter's own timer starts after a successful send, from
///   the `timeout_sec` it was given.
/// - `internal/telegram/handlers/handlers.go`, `sendWebhook`: a button press posts the callback once
///   (`correlation_id`, `decision`, `reason`, `tool`; no actor field) and never retries, whatever the answer.
final class TelegramAdapterStandIn: Sendable {
    struct Held: Sendable {
        var body: JSONValue
        var timeoutSec: Int?
        var shown: Bool
    }

    let kind: RequestKind
    private let registry = Mutex<[String: Held]>([:])
    /// While true, every Telegram send fails (the Bot API is unreachable).
    let telegramDown = Atomic<Bool>(false)
    /// How many of the next submits meet the adapter down (a restart: 503 before anything is registered),
    /// and how many after those are handled but have their answer lost on the way back (seen as 503).
    private let faults = Mutex<(unavailable: Int, lostAnswers: Int)>((0, 0))

    func makeUnavailable(for submits: Int) { faults.withLock { $0.unavailable = submits } }
    func loseAnswers(of submits: Int) { faults.withLock { $0.lostAnswers = submits } }

    init(kind: RequestKind = .approval) {
        self.kind = kind
    }

    func held(_ correlationId: String) -> Held? { registry.withLock { $0[correlationId] } }

    func answer(_ request: ReceivedRequest) -> CannedAnswer {
        let down = faults.withLock { faults -> Bool in
            guard faults.unavailable > 0 else { return false }
            faults.unavailable -= 1
            return true
        }
        if down { return CannedAnswer(status: .serviceUnavailable) }
        let answer = handle(request)
        let lost = faults.withLock { faults -> Bool in
            guard faults.lostAnswers > 0 else { return false }
            faults.lostAnswers -= 1
            return true
        }
        return lost ? CannedAnswer(status: .serviceUnavailable) : answer
    }

    private func handle(_ request: ReceivedRequest) -> CannedAnswer {
        guard let body = JSONValue.parse(request.body), let id = body["correlation_id"]?.stringValue, !id.isEmpty else {
            return reply(.badRequest, error: kind == .approval ? "approval failed" : "execution failed", id: nil)
        }
        let added = registry.withLock { registry -> Bool in
            guard registry[id] == nil else { return false }
            registry[id] = Held(body: body, timeoutSec: body["timeout_sec"]?.int64Value.map { Int($0) }, shown: false)
            return true
        }
        guard added else { return reply(.accepted, error: kind == .approval ? "approval already exists" : "execution already exists", id: id) }
        if telegramDown.load(ordering: .relaxed) {
            return reply(.accepted, error: "failed to send telegram message", id: id)  // and the registration stays
        }
        registry.withLock { $0[id]?.shown = true }
        return kind == .approval
            ? CannedAnswer(status: .accepted, body: #"{"decision":"pending","reason":"queued","correlation_id":"\#(id)"}"# + "\n")
            : CannedAnswer(status: .accepted, body: #"{"status":"pending","result":"queued","correlation_id":"\#(id)"}"# + "\n")
    }

    private func reply(_ status: HTTPResponse.Status, error: String, id: String?) -> CannedAnswer {
        let idField = id.map { #","correlation_id":"\#($0)""# } ?? ""
        let body = kind == .approval ? #"{"decision":"error","reason":"\#(error)"\#(idField)}"# : #"{"status":"error","result":"\#(error)"\#(idField)}"#
        return CannedAnswer(status: status, body: body + "\n")
    }

    /// A button press: the callback to the URL the delivery carried, once, its answer ignored.
    func press(_ correlationId: String, decision: String = "approve", reason: String = "approved") async throws -> Answer? {
        guard let held = held(correlationId), let url = held.body["callback"]?["url"]?.stringValue else { return nil }
        let tool = held.body["tool"]?.stringValue ?? held.body["tool"]?["name"]?.stringValue ?? ""
        return try? await call(.POST, url, body: json(["correlation_id": .string(correlationId), "decision": .string(decision),
                                                      "reason": .string(reason), "tool": .string(tool)]))
    }
}

/// One adapter server with both Telegram programs behind it: `/execute` is telegram-executor, every other
/// path telegram-approver (each with its own registry, as two processes have).
struct TelegramAdapters: Sendable {
    let approver = TelegramAdapterStandIn(kind: .approval)
    let executor = TelegramAdapterStandIn(kind: .execution)

    func answer(_ request: ReceivedRequest) -> CannedAnswer {
        (request.path.hasSuffix("/execute") ? executor : approver).answer(request)
    }
}

/// Behaves as yaml-mcp-server's webhook receiver does (`internal/approver/http/async.go`, `WebhookHandler.ServeHTTP`,
/// with `internal/approver/http/http.go`, `Client.Approve`): it registers a correlation id before it sends the
/// request and drops it when its own wait ends or a decision arrives; a callback for an id it waits for is
/// answered 200 with an empty body, one for an id it does not (any more) wait for 404 with an empty body, a
/// malformed one 400.
final class YamlMcpServerStandIn: Sendable {
    private let waiting = Mutex<[String: ContinuousClock.Instant]>([:])
    private let decided = Mutex<[String: (body: JSONValue, at: ContinuousClock.Instant)]>([:])

    /// Starts waiting for `correlationId` for `wait`, as a tool call does before it posts to the approver.
    func wait(for correlationId: String, _ wait: Duration) {
        waiting.withLock { $0[correlationId] = .now + wait }
    }

    func decision(of correlationId: String) -> (body: JSONValue, at: ContinuousClock.Instant)? {
        decided.withLock { $0[correlationId] }
    }

    func answer(_ request: ReceivedRequest) -> CannedAnswer {
        guard let body = JSONValue.parse(request.body), let id = body["correlation_id"]?.stringValue, !id.isEmpty,
              body["decision"] != nil || body["status"] != nil else {
            return CannedAnswer(status: .badRequest)
        }
        let known = waiting.withLock { waiting -> Bool in
            guard let until = waiting[id] else { return false }
            waiting[id] = nil
            return until > .now
        }
        guard known else { return CannedAnswer(status: .notFound) }
        decided.withLock { $0[id] = (body, .now) }
        return CannedAnswer(status: .ok)
    }
}
