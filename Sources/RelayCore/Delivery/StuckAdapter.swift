import Foundation

/// SPEC §16, as telegram-approver and telegram-executor behave (`internal/telegram/service.go`, Submit­Approval /
/// SubmitExecution): they register a request before sending it to Telegram and keep it when the send fails.
/// The first answer is 202 with an error (`failed to send telegram message`); every later delivery of the
/// same request gets `approval already exists` / `execution already exists` and sends nothing. So an
/// "already exists" that follows a reported failure is not a delivery: the human never saw the question.
public struct StuckAdapter: Sendable, Equatable, CustomStringConvertible {
    /// What the adapter reported on the earlier attempt (for example `failed to send telegram message`).
    public var earlierError: String
    /// What it answered now (`approval already exists`).
    public var nowAnswered: String

    static let approvalExists = "approval already exists"
    static let executionExists = "execution already exists"
    /// How an attempt records an adapter's 2xx error answer; `reason(_:previousError:)` reads it back.
    static let errorPrefix = "adapter error: "

    public var description: String {
        "the adapter answered \"\(nowAnswered)\" after reporting \"\(earlierError)\": it holds the request but never showed it, so retrying cannot help"
    }

    /// The stuck adapter's story, when `answer` is an "already exists" and the previous attempt was an adapter error.
    public static func reason(_ answer: DeliveryAnswer, previousError: String?) -> StuckAdapter? {
        // The previous attempt's record first: it is nearly always not an adapter error, and then the body is not parsed.
        guard let previousError, previousError.hasPrefix(errorPrefix), case .response(200..<300, _, let body) = answer,
              let text = AnswerClassification.adapterError(in: body)?.lowercased(),
              text == approvalExists || text == executionExists else { return nil }
        let earlier = String(previousError.dropFirst(errorPrefix.count))
        guard earlier.lowercased() != approvalExists, earlier.lowercased() != executionExists else { return nil }
        return StuckAdapter(earlierError: earlier, nowAnswered: text)
    }

    /// The decision that ends the request when no other delivery can still reach a human: failed, with
    /// the adapter's own reason, which the caller then gets as fast as it would have without the relay.
    public func failure(endpoint: String) -> NormalizedDecision {
        NormalizedDecision(decision: .failed, reason: earlierError, actor: "endpoint:\(endpoint)")
    }
}
