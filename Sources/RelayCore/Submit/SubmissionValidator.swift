import Foundation

/// Validates contract-A request bodies (yaml-mcp-server `internal/protocol/protocol.go`) with the rules
/// the reference adapters apply, so the relay refuses at submit what an adapter would refuse later.
public enum SubmissionValidator {
    /// Which door the body came through.
    public enum Door: Sendable {
        /// `POST /api/v1/requests`: `kind` required, `endpoints` and `approval_request_id` allowed.
        case native
        /// `POST /approve` or `POST /execute`: the kind is the path's.
        case dropIn(RequestKind)
    }

    /// Longest `correlation_id` in bytes: Telegram's 64-byte button data must hold it.
    public static let maxCorrelationIdBytes = 50
    /// Most `links_to_code` entries.
    public static let maxLinks = 5
    /// The approver's free-text fields and their length bounds in characters.
    public static let approverTexts = ["justification", "approval_request", "risk_assessment"]
    public static let approverTextLength = 10...500
    /// Longest request timeout: 30 days.
    public static let maxTimeoutSec = 30 * 24 * 3600
    /// Fields only the native door knows; they are not passed on to adapters.
    static let nativeOnlyFields = ["kind", "endpoints", "approval_policy", "escalation", "control_plane_ref"]
    /// Most escalation steps of one request.
    public static let maxEscalationSteps = 10

    /// Validates `body`, returning the submission or the first problem found.
    public static func validate(_ body: Data, door: Door) -> Result<Submission, SubmissionError> {
        guard let value = JSONValue.parse(body) else {
            return .failure(SubmissionError(field: nil, "invalid json payload"))
        }
        guard var object = value.objectValue else {
            return .failure(SubmissionError(field: nil, "body must be a JSON object"))
        }
        do {
            let kind = try kind(of: object, door: door)
            let correlationId = try correlationId(object)
            let tool = try toolName(object, kind: kind)
            try checkArguments(object)
            if kind == .approval {
                try checkApproverTexts(object)
                try checkLinks(object)
            } else {
                try checkOptionalObject(object, "spec")
            }
            try checkEnum(object, "lang", ["en", "ru"])
            try checkEnum(object, "markup", ["markdown", "html"])
            let timeout = try timeoutSec(object)
            let callback = try callbackURL(object)
            var approvalRequestId: Int64?
            var endpointNames: [String]?
            var minApprovals: Int?
            var escalation: [EscalationRequest] = []
            var controlPlaneRef: String?
            if case .native = door {
                approvalRequestId = try self.approvalRequestId(object)
                endpointNames = try self.endpointNames(object)
                minApprovals = try self.minApprovals(object, kind: kind)
                escalation = try self.escalation(object)
                controlPlaneRef = try self.controlPlaneRef(object)
                for field in nativeOnlyFields { object.removeValue(forKey: field) }
            }
            return .success(Submission(
                kind: kind, correlationId: correlationId, approvalRequestId: approvalRequestId, tool: tool,
                payload: .object(object), callbackURL: callback, timeoutSec: timeout, endpointNames: endpointNames,
                minApprovals: minApprovals, escalation: escalation, controlPlaneRef: controlPlaneRef
            ))
        } catch let error as SubmissionError {
            return .failure(error)
        } catch {
            return .failure(SubmissionError(field: nil, "\(error)"))
        }
    }

    private static func kind(of object: [String: JSONValue], door: Door) throws -> RequestKind {
        if case .dropIn(let kind) = door { return kind }
        guard let text = object["kind"]?.stringValue else {
            throw SubmissionError(field: "kind", "kind is required: approval or execution")
        }
        guard let kind = RequestKind(rawValue: text) else {
            throw SubmissionError(field: "kind", "kind must be approval or execution")
        }
        return kind
    }

    private static func correlationId(_ object: [String: JSONValue]) throws -> String {
        guard let id = object["correlation_id"]?.stringValue, !id.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SubmissionError(field: "correlation_id", "correlation_id is required")
        }
        guard id.utf8.count <= maxCorrelationIdBytes else {
            throw SubmissionError(field: "correlation_id", "correlation_id must be at most \(maxCorrelationIdBytes) bytes")
        }
        return id
    }

    private static func toolName(_ object: [String: JSONValue], kind: RequestKind) throws -> String {
        switch kind {
        case .approval:
            guard let name = object["tool"]?.stringValue, !name.isEmpty else {
                throw SubmissionError(field: "tool", "tool is required")
            }
            return name
        case .execution:
            guard let tool = object["tool"]?.objectValue else {
                throw SubmissionError(field: "tool", "tool is required (an object with a name)")
            }
            guard let name = tool["name"]?.stringValue, !name.isEmpty else {
                throw SubmissionError(field: "tool.name", "tool.name is required")
            }
            return name
        }
    }

    private static func checkArguments(_ object: [String: JSONValue]) throws {
        switch object["arguments"] {
        case nil, .null?, .object?: return
        default: throw SubmissionError(field: "arguments", "arguments must be an object")
        }
    }

    private static func checkOptionalObject(_ object: [String: JSONValue], _ field: String) throws {
        switch object[field] {
        case nil, .null?, .object?: return
        default: throw SubmissionError(field: field, "\(field) must be an object")
        }
    }

    private static func checkApproverTexts(_ object: [String: JSONValue]) throws {
        for field in approverTexts {
            guard let value = object[field], value != .null else {
                throw SubmissionError(field: field, "\(field) is required")
            }
            guard let text = value.stringValue,
                  approverTextLength.contains(text.trimmingCharacters(in: .whitespacesAndNewlines).unicodeScalars.count)
            else {
                throw SubmissionError(field: field, "\(field) must be 10-500 characters")
            }
        }
    }

    private static func checkLinks(_ object: [String: JSONValue]) throws {
        guard let value = object["links_to_code"], value != .null else { return }
        guard let links = value.arrayValue else {
            throw SubmissionError(field: "links_to_code", "links_to_code must be an array")
        }
        guard links.count <= maxLinks else {
            throw SubmissionError(field: "links_to_code", "links_to_code must have at most \(maxLinks) items")
        }
        for link in links {
            guard let text = link["text"]?.stringValue, !text.isEmpty,
                  let url = link["url"]?.stringValue, !url.isEmpty else {
                throw SubmissionError(field: "links_to_code", "links_to_code items must include text and url")
            }
        }
    }

    private static func checkEnum(_ object: [String: JSONValue], _ field: String, _ allowed: [String]) throws {
        guard let value = object[field], value != .null else { return }
        guard let text = value.stringValue, allowed.contains(text) else {
            throw SubmissionError(field: field, "\(field) must be \(allowed.joined(separator: " or "))")
        }
    }

    private static func timeoutSec(_ object: [String: JSONValue]) throws -> Int? {
        guard let value = object["timeout_sec"], value != .null else { return nil }
        guard let seconds = value.int64Value, seconds >= 0, seconds <= maxTimeoutSec else {
            throw SubmissionError(field: "timeout_sec", "timeout_sec must be a whole number of seconds from 0 to \(maxTimeoutSec)")
        }
        // yaml-mcp-server sends 0 when the tool call has no deadline: the relay's default applies.
        return seconds == 0 ? nil : Int(seconds)
    }

    private static func callbackURL(_ object: [String: JSONValue]) throws -> String? {
        guard let value = object["callback"], value != .null else { return nil }
        guard let callback = value.objectValue else {
            throw SubmissionError(field: "callback", "callback must be an object with a url")
        }
        guard let url = callback["url"]?.stringValue, !url.isEmpty else {
            throw SubmissionError(field: "callback.url", "callback.url is required when callback is given")
        }
        if let problem = DeliveryURL.problem(url) {
            throw SubmissionError(field: "callback.url", "callback.url \(problem)")
        }
        return url
    }

    private static func approvalRequestId(_ object: [String: JSONValue]) throws -> Int64? {
        guard let value = object["approval_request_id"], value != .null else { return nil }
        guard let id = value.int64Value, id > 0 else {
            throw SubmissionError(field: "approval_request_id", "approval_request_id must be a positive 64-bit integer")
        }
        return id
    }

    private static func endpointNames(_ object: [String: JSONValue]) throws -> [String]? {
        guard let value = object["endpoints"], value != .null else { return nil }
        guard let items = value.arrayValue, !items.isEmpty else {
            throw SubmissionError(field: "endpoints", "endpoints must be a non-empty array of endpoint names")
        }
        var names: [String] = []
        for item in items {
            guard let name = item.stringValue, !name.isEmpty else {
                throw SubmissionError(field: "endpoints", "endpoints must hold endpoint names (strings)")
            }
            // A name given twice is one delivery: repeating it must not multiply what one submit sends.
            if !names.contains(name) { names.append(name) }
        }
        guard names.count <= maxEndpoints else {
            throw SubmissionError(field: "endpoints", "endpoints names \(names.count) endpoints; at most \(maxEndpoints) may be named in one request")
        }
        return names
    }

    /// The most distinct endpoints one request may name (SPEC §11).
    public static let maxEndpoints = 32

    /// `control_plane_ref`: 1 to 256 visible ASCII characters (whether the configured control plane can use it is
    /// its contract's to say).
    private static func controlPlaneRef(_ object: [String: JSONValue]) throws -> String? {
        guard let value = object["control_plane_ref"], value != .null else { return nil }
        guard let text = value.stringValue, (1...256).contains(text.utf8.count),
              text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw SubmissionError(field: "control_plane_ref", "control_plane_ref must be 1 to 256 visible ASCII characters (the control plane's own id of the request)")
        }
        return text
    }

    /// `approval_policy: {"min_approvals": N}`: approvals only, N ≥ 1 (whether that many endpoints receive the
    /// request is checked where they are known).
    private static func minApprovals(_ object: [String: JSONValue], kind: RequestKind) throws -> Int? {
        guard let value = object["approval_policy"], value != .null else { return nil }
        guard let policy = value.objectValue else {
            throw SubmissionError(field: "approval_policy", "approval_policy must be an object such as {\"min_approvals\": 2}")
        }
        guard kind == .approval else {
            throw SubmissionError(field: "approval_policy", "approval_policy applies to approval requests only")
        }
        if let unknown = policy.keys.sorted().first(where: { $0 != "min_approvals" }) {
            throw SubmissionError(field: "approval_policy.\(unknown)", "approval_policy has no field \(unknown); it takes min_approvals")
        }
        guard let count = policy["min_approvals"]?.int64Value, count >= 1, count <= Int64(maxEndpoints) else {
            throw SubmissionError(field: "approval_policy.min_approvals", "approval_policy.min_approvals must be a whole number from 1 to \(maxEndpoints)")
        }
        return Int(count)
    }

    /// `escalation: [{"after_sec": S, "endpoints": [names]}]`: at most `maxEscalationSteps` steps of that shape (their
    /// order, the deadline and the endpoints they name are checked where the request is made).
    private static func escalation(_ object: [String: JSONValue]) throws -> [EscalationRequest] {
        guard let value = object["escalation"], value != .null else { return [] }
        guard let items = value.arrayValue else {
            throw SubmissionError(field: "escalation", "escalation must be an array of {\"after_sec\", \"endpoints\"} steps")
        }
        guard items.count <= maxEscalationSteps else {
            throw SubmissionError(field: "escalation", "escalation has \(items.count) steps; at most \(maxEscalationSteps) are allowed")
        }
        var steps: [EscalationRequest] = []
        for (index, item) in items.enumerated() {
            let field = "escalation[\(index)]"
            guard let step = item.objectValue else { throw SubmissionError(field: field, "\(field) must be an object with after_sec and endpoints") }
            if let unknown = step.keys.sorted().first(where: { $0 != "after_sec" && $0 != "endpoints" }) {
                throw SubmissionError(field: "\(field).\(unknown)", "\(field) has no field \(unknown); a step takes after_sec and endpoints")
            }
            guard let after = step["after_sec"]?.int64Value, after >= 1, after <= Int64(maxTimeoutSec) else {
                throw SubmissionError(field: "\(field).after_sec", "\(field).after_sec must be a whole number of seconds from 1 to \(maxTimeoutSec)")
            }
            guard let names = step["endpoints"]?.arrayValue, !names.isEmpty,
                  names.allSatisfy({ ($0.stringValue ?? "").isEmpty == false }) else {
                throw SubmissionError(field: "\(field).endpoints", "\(field).endpoints must be a non-empty array of endpoint names")
            }
            var unique: [String] = []
            for name in names.compactMap(\.stringValue) where !unique.contains(name) { unique.append(name) }
            guard unique.count <= maxEndpoints else {
                throw SubmissionError(field: "\(field).endpoints", "\(field).endpoints names more than \(maxEndpoints) endpoints")
            }
            steps.append(EscalationRequest(afterSec: Int(after), endpointNames: unique))
        }
        return steps
    }
}
