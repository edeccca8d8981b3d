import Foundation

/// What an answer means for the message (the outcome column of SPEC §4's table).
public enum AnswerClass: Sendable, Equatable {
    /// Delivered; a synchronous adapter's decision rides along when it gave one.
    case delivered(verdict: AdapterVerdict?)
    /// Failed this time; try again (no sooner than `retryAfter` seconds when the receiver asked).
    case retryable(reason: String, retryAfter: TimeInterval?)
    /// Failed for good: dead letter at once, and disable the endpoint when it said 410 Gone.
    case permanent(reason: String, disablesEndpoint: Bool)
}

/// The answer classification table of SPEC §4: the one place that decides what an adapter's answer means.
///
/// Statuses the table does not name (other 4xx such as 409, and 1xx) are retried: the relay never
/// drops a message on an answer it was not told is final. A delivery the egress guard refuses is permanent.
public enum AnswerClassification {
    /// Statuses after which retrying cannot help.
    public static let permanentStatuses: Set<Int> = [400, 401, 403, 404, 405, 413, 422]
    /// The status that also disables the endpoint.
    public static let goneStatus = 410
    /// Statuses that are explicitly transient.
    public static let retryableStatuses: Set<Int> = [408, 425, 429]

    /// Classifies one answer; `now` resolves a `Retry-After` given as an HTTP date. `previousError` is what
    /// the message's previous attempt recorded: an "already exists" after a reported failure means something
    /// else than after a delivery (SPEC §16).
    public static func classify(_ answer: DeliveryAnswer, now: Date, previousError: String? = nil) -> AnswerClass {
        if let stuck = StuckAdapter.reason(answer, previousError: previousError) {
            return .permanent(reason: stuck.description, disablesEndpoint: false)
        }
        switch answer {
        case .transportFailure(.refusedAddress(let reason)):
            // Policy, not weather: retrying cannot help until an operator changes the endpoint or egress.allow.
            return .permanent(reason: "refused by egress guard: \(reason)", disablesEndpoint: false)
        case .transportFailure(let failure):
            return .retryable(reason: failure.description, retryAfter: nil)
        case .response(let status, let retryAfter, let body):
            switch status {
            case 200..<300:
                return classifySuccessBody(body)
            case 300..<400:
                return .retryable(reason: "HTTP \(status): redirects are not followed", retryAfter: nil)
            case goneStatus:
                return .permanent(reason: "HTTP 410: endpoint gone", disablesEndpoint: true)
            case _ where permanentStatuses.contains(status):
                return .permanent(reason: "HTTP \(status)", disablesEndpoint: false)
            default:
                let delay = retryAfter.flatMap { RetryAfter.seconds(from: $0, now: now) }
                let known = retryableStatuses.contains(status) || (500..<600).contains(status)
                return .retryable(reason: "HTTP \(status)\(known ? "" : " (not in the table; retried)")", retryAfter: delay)
            }
        }
    }

    /// What an adapter's 2xx error body says: its `reason` (approver) or `result` (executor) text.
    static func adapterError(in body: Data) -> String? {
        guard let object = JSONValue.parse(body)?.objectValue else { return nil }
        if object["decision"]?.stringValue?.lowercased() == "error" { return object["reason"]?.stringValue ?? "" }
        if object["status"]?.stringValue?.lowercased() == "error" {
            return object["result"].map(DecisionNormalization.text) ?? ""
        }
        return nil
    }

    /// The 2xx rows: pending / sync decision / "already exists" / other error.
    static func classifySuccessBody(_ body: Data) -> AnswerClass {
        guard !body.isEmpty, let object = JSONValue.parse(body)?.objectValue else {
            return .delivered(verdict: nil)
        }
        let reason = object["reason"]?.stringValue
        if let decision = object["decision"]?.stringValue?.lowercased() {
            switch decision {
            case "approve": return .delivered(verdict: .approve(reason: reason))
            case "deny": return .delivered(verdict: .deny(reason: reason))
            case "error":
                if reason?.lowercased() == StuckAdapter.approvalExists { return .delivered(verdict: nil) }
                return .retryable(reason: "\(StuckAdapter.errorPrefix)\(reason ?? "no reason")", retryAfter: nil)
            default: return .delivered(verdict: nil)
            }
        }
        if let status = object["status"]?.stringValue?.lowercased() {
            let result = object["result"]
            switch status {
            case "success": return .delivered(verdict: .success(result: result ?? .null))
            case "error":
                if result?.stringValue?.lowercased() == StuckAdapter.executionExists { return .delivered(verdict: nil) }
                let text = result.map(DecisionNormalization.text)
                return .retryable(reason: "\(StuckAdapter.errorPrefix)\(text ?? "no result")", retryAfter: nil)
            default: return .delivered(verdict: nil)
            }
        }
        return .delivered(verdict: nil)
    }
}
