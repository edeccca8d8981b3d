import Foundation

/// The normalization table of SPEC §5: the one place that turns what a peer said into a `Decision`.
///
/// | in | decision |
/// | --- | --- |
/// | `approve`, `approved` | approved |
/// | `deny`, `denied` | denied |
/// | `error` with reason `approval timeout` / result `execution timeout` | expired |
/// | other `error` | failed |
/// | executor `success` (result kept) | applied |
/// | `expired`, `failed`, `applied` | same |
public enum DecisionNormalization {
    /// The reason an approver gives when its own wait ran out.
    public static let approvalTimeout = "approval timeout"
    /// The result an executor gives when its own wait ran out.
    public static let executionTimeout = "execution timeout"

    public static func normalize(_ incoming: IncomingDecision) -> Result<NormalizedDecision, DecisionError> {
        switch incoming {
        case .approver(let decision, let reason):
            switch decision.lowercased() {
            case "approve": return .success(.init(decision: .approved, reason: reason))
            case "deny": return .success(.init(decision: .denied, reason: reason))
            case "error":
                let timedOut = reason?.lowercased() == approvalTimeout
                return .success(.init(decision: timedOut ? .expired : .failed, reason: reason))
            default:
                return .failure(DecisionError(field: "decision", message: "decision must be approve, deny or error"))
            }
        case .executor(let status, let result):
            switch status.lowercased() {
            case "success": return .success(.init(decision: .applied, result: result ?? .null))
            case "error":
                let text = result?.stringValue
                let timedOut = text?.lowercased() == executionTimeout
                return .success(.init(decision: timedOut ? .expired : .failed, reason: text ?? result.map(Self.text), result: result))
            default:
                return .failure(DecisionError(field: "status", message: "status must be success or error"))
            }
        case .codex(let decision, let reason, let actor):
            // A cancel has its own door (SPEC §12): no peer cancels through a callback.
            guard let normalized = Decision(rawValue: decision.lowercased().trimmingCharacters(in: .whitespaces)), normalized != .cancelled else {
                return .failure(DecisionError(field: "decision", message: "decision must be approved, denied, expired, failed or applied"))
            }
            return .success(.init(decision: normalized, reason: reason, actor: actor))
        case .verdict(let verdict):
            switch verdict {
            case .approve(let reason): return .success(.init(decision: .approved, reason: reason))
            case .deny(let reason): return .success(.init(decision: .denied, reason: reason))
            case .success(let result): return .success(.init(decision: .applied, result: result))
            }
        }
    }

    /// A JSON value as text (results that are not strings travel as their JSON).
    public static func text(_ value: JSONValue) -> String {
        value.stringValue ?? String(decoding: value.encoded(), as: UTF8.self)
    }
}
