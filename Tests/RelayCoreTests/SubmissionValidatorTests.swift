import Foundation
import RelayCore
import Testing

/// Contract-A validation: the rules the reference adapters apply, each refusal naming its field.
@Suite struct SubmissionValidatorTests {
    static let approval: [String: JSONValue] = [
        "kind": "approval", "correlation_id": "req-123", "tool": "github_create_env_secret_k8s",
        "arguments": ["namespace": "ai-staging"],
        "justification": "Need a new password for the billing service.",
        "approval_request": "Create a secret and inject it into Kubernetes.",
        "risk_assessment": "May affect DB access if the new secret is misused.",
        "links_to_code": [["text": "PR #42", "url": "https://github.com/org/repo/pull/42"]],
        "lang": "en", "markup": "markdown", "timeout_sec": 3600,
        "callback": ["url": "http://yaml-mcp-server/approvals/webhook"],
        "x_unknown": "kept",
    ]

    static let execution: [String: JSONValue] = [
        "kind": "execution", "correlation_id": "req-124",
        "tool": ["name": "telegram_request_feedback", "title": "Request user feedback"],
        "arguments": ["question": "Which rollout strategy?", "options": ["A", "B"], "allow_custom": true],
        "spec": ["kind": "telegram_feedback_v1", "options_min": 2, "options_max": 5],
    ]

    func validate(_ object: [String: JSONValue], door: SubmissionValidator.Door = .native) -> Result<Submission, SubmissionError> {
        SubmissionValidator.validate(JSONValue.object(object).encoded(), door: door)
    }

    func field(_ object: [String: JSONValue]) -> String? {
        if case .failure(let error) = validate(object) { return error.field ?? "<body>" }
        return nil
    }

    func with(_ base: [String: JSONValue], _ key: String, _ value: JSONValue?) -> [String: JSONValue] {
        var copy = base
        copy[key] = value
        return copy
    }

    @Test func validApprovalKeepsUnknownFieldsAndDropsNativeOnes() throws {
        let submission = try validate(Self.approval).get()
        #expect(submission.kind == .approval && submission.tool == "github_create_env_secret_k8s")
        #expect(submission.timeoutSec == 3600 && submission.callbackURL == "http://yaml-mcp-server/approvals/webhook")
        #expect(submission.payload["x_unknown"] == "kept")
        #expect(submission.payload["kind"] == nil)
    }

    @Test func validExecutionTakesTheToolObjectsName() throws {
        let submission = try validate(Self.execution).get()
        #expect(submission.tool == "telegram_request_feedback" && submission.kind == .execution)
    }

    @Test func dropInDoorTakesTheKindFromThePath() throws {
        var body = Self.approval
        body["kind"] = nil
        let submission = try validate(body, door: .dropIn(.approval)).get()
        #expect(submission.kind == .approval)
        #expect(submission.payload["x_unknown"] == "kept")
    }

    @Test func notJSONOrNotAnObject() {
        #expect(SubmissionValidator.validate(Data("{".utf8), door: .native) == .failure(SubmissionError(field: nil, "invalid json payload")))
        #expect(SubmissionValidator.validate(Data("[1]".utf8), door: .native) == .failure(SubmissionError(field: nil, "body must be a JSON object")))
    }

    static let malformed: [(String, JSONValue?)] = {
        var cases: [(String, JSONValue?)] = []
        cases.append(("kind", nil))
        cases.append(("kind", .string("other")))
        cases.append(("correlation_id", nil))
        cases.append(("correlation_id", .string("")))
        cases.append(("correlation_id", .string(String(repeating: "x", count: 51))))
        cases.append(("correlation_id", .integer(5)))
        cases.append(("tool", nil))
        cases.append(("tool", .string("")))
        cases.append(("tool", .integer(3)))
        cases.append(("arguments", .string("text")))
        cases.append(("justification", nil))
        cases.append(("justification", .string("too short")))
        cases.append(("justification", .string(String(repeating: "j", count: 501))))
        cases.append(("approval_request", nil))
        cases.append(("risk_assessment", .integer(12)))
        cases.append(("links_to_code", .string("x")))
        cases.append(("links_to_code", .array([.object(["text": .string("only text")])])))
        cases.append(("links_to_code", .array(Array(repeating: .object(["text": .string("t"), "url": .string("u")]), count: 6))))
        cases.append(("lang", .string("de")))
        cases.append(("markup", .string("rst")))
        cases.append(("timeout_sec", .integer(-1)))
        cases.append(("timeout_sec", .number(1.5)))
        cases.append(("timeout_sec", .string("60")))
        cases.append(("callback", .string("http://x")))
        cases.append(("callback", .object([:])))
        cases.append(("callback", .object(["url": .string("not a url")])))
        cases.append(("callback", .object(["url": .string("ftp://x/y")])))
        cases.append(("approval_request_id", .integer(0)))
        cases.append(("approval_request_id", .string("7")))
        cases.append(("endpoints", .array([])))
        cases.append(("endpoints", .array([.integer(1)])))
        return cases
    }()

    @Test(arguments: malformed)
    func malformedApprovalFieldsAreNamed(key: String, value: JSONValue?) {
        let named = field(with(Self.approval, key, value))
        let expected = key == "callback" && value?.objectValue != nil ? "callback.url" : key
        #expect(named == expected, "\(key)=\(String(describing: value))")
    }

    @Test func executionToolNeedsAName() {
        #expect(field(with(Self.execution, "tool", ["title": "no name"])) == "tool.name")
        #expect(field(with(Self.execution, "tool", "a string")) == "tool")
        #expect(field(with(Self.execution, "spec", "x")) == "spec")
    }

    @Test func fiftyByteCorrelationIdIsAllowed() throws {
        _ = try validate(with(Self.approval, "correlation_id", .string(String(repeating: "é", count: 25)))).get()
        #expect(field(with(Self.approval, "correlation_id", .string(String(repeating: "é", count: 26)))) == "correlation_id")
    }

    @Test func zeroTimeoutMeansTheDefault() throws {
        #expect(try validate(with(Self.approval, "timeout_sec", 0)).get().timeoutSec == nil)
    }
}
