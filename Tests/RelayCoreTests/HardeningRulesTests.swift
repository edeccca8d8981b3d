import Foundation
import RelayCore
import Testing

/// The pure rules of SPEC §11 and §16: delivery URLs, metadata addresses, the endpoint list, weak
/// secrets, and the time left stamped into each delivery.
@Suite struct HardeningRulesTests {
    @Test(arguments: ["http://0177.0.0.1/approve", "http://0x7f.0.0.1/", "http://2130706433/", "http://127.1/",
                      "http://0251.0376.0251.0376/", "http://127.0.0.01/", "http://10.0.0.256/", "http://example.0x10/",
                      "https://0x7f000001/"])
    func nonCanonicalIPv4LiteralsAreRefused(url: String) throws {
        #expect(DeliveryURL.problem(url) == nil, "well-formed")
        let refusal = try #require(DeliveryURL.refusal(url))
        #expect(refusal.contains("four decimal numbers"), "\(url): \(refusal)")
    }

    @Test(arguments: ["http://127.0.0.1:9090/approve", "https://adapter.example/x", "http://10.1.2.3/", "http://[::1]:8080/",
                      "http://cafe.be/", "http://host-1.internal:80/", "http://1.2.3.4./"])
    func ordinaryURLsPass(url: String) {
        #expect(DeliveryURL.problem(url) == nil && DeliveryURL.refusal(url) == nil, "\(url)")
    }

    @Test(arguments: ["ftp://x/", "/relative", "http://", "not a url"])
    func nonHTTPURLsAreRefused(url: String) {
        #expect(DeliveryURL.problem(url) != nil)
    }

    @Test func theParserReadsOnlyCanonicalQuads() {
        #expect(IPAddress("0177.0.0.1") == nil, "not 177.0.0.1")
        #expect(IPAddress("127.0.0.1")?.bytes == [127, 0, 0, 1])
    }

    @Test(arguments: ["fd00:ec2::254", "100.100.100.200", "169.254.169.254", "fe80::1"])
    func everyMetadataAddressIsRefusedInEveryMode(address: String) throws {
        let ip = try #require(IPAddress(address))
        for policy in [EgressPolicy(), EgressPolicy(mode: .strict, allow: [IPRange("0.0.0.0/0")!, IPRange("::/0")!])] {
            #expect(policy.refusal(for: ip)?.contains("in any egress mode") == true, "\(address) in \(policy.mode)")
        }
        #expect(EgressPolicy().refusal(for: IPAddress("100.100.100.199")!) == nil, "its neighbours are not metadata")
    }

    static let approval: [String: JSONValue] = [
        "kind": "approval", "correlation_id": "req-1", "tool": "t",
        "justification": "Need a new password for the billing service.",
        "approval_request": "Create a secret and inject it into Kubernetes.",
        "risk_assessment": "May affect DB access if the new secret is misused.",
        "callback": ["url": "http://yaml-mcp-server/approvals/webhook"],
    ]

    @Test func repeatedEndpointNamesAreOneDeliveryAndTheListIsCapped() throws {
        var body = Self.approval
        body["endpoints"] = .array(Array(repeating: "a", count: 300) + ["b", "a"])
        let submission = try SubmissionValidator.validate(JSONValue.object(body).encoded(), door: .native).get()
        #expect(submission.endpointNames == ["a", "b"])
        body["endpoints"] = .array((0...SubmissionValidator.maxEndpoints).map { .string("e\($0)") })
        guard case .failure(let error) = SubmissionValidator.validate(JSONValue.object(body).encoded(), door: .native) else {
            Issue.record("33 endpoints were accepted"); return
        }
        #expect(error.field == "endpoints" && error.message.contains("at most 32"))
        body["endpoints"] = .array((0..<SubmissionValidator.maxEndpoints).map { .string("e\($0)") })
        #expect((try? SubmissionValidator.validate(JSONValue.object(body).encoded(), door: .native).get()) != nil, "32 pass")
    }

    @Test func weakAndExampleSecretsAreNamed() {
        #expect(SecretStrength.problem("change-me-admin-token", minimumBytes: 16)?.contains("example") == true)
        #expect(SecretStrength.problem("CHANGEME-please-0123456789", minimumBytes: 16)?.contains("example") == true)
        #expect(SecretStrength.problem("x", minimumBytes: 16)?.contains("1 bytes long") == true)
        #expect(SecretStrength.problem(String(repeating: "k", count: 15), minimumBytes: 16) != nil)
        #expect(SecretStrength.problem(String(repeating: "k", count: 16), minimumBytes: 16) == nil)
    }

    @Test func eachDeliveryCarriesTheWholeSecondsLeft() {
        let now = Date(timeIntervalSince1970: 1_000)
        let body = Data(#"{"a":1,"timeout_sec":"\#(TimeLeft.placeholder)","b":"x"}"#.utf8)
        let stamped = TimeLeft.stamp(body, deadline: now.addingTimeInterval(2.4), now: now)
        #expect(JSONValue.parse(stamped)?["timeout_sec"] == 2)
        #expect(JSONValue.parse(TimeLeft.stamp(body, deadline: now.addingTimeInterval(0.2), now: now))?["timeout_sec"] == 1, "at least 1")
        #expect(JSONValue.parse(TimeLeft.stamp(body, deadline: now.addingTimeInterval(-5), now: now))?["timeout_sec"] == 1)
        let without = Data(#"{"timeout_sec":30}"#.utf8)
        #expect(TimeLeft.stamp(without, deadline: now, now: now) == without, "a body stored before this version is left alone")
    }

    @Test func aDecisionPastTheDeadlineIsCaughtOnlyWhileTheRequestWaits() {
        let deadline = Date(timeIntervalSince1970: 100)
        let after = Date(timeIntervalSince1970: 100)
        #expect(RequestTransitions.arrivesPastDeadline(.approved, state: .requested, deadline: deadline, now: after))
        #expect(!RequestTransitions.arrivesPastDeadline(.approved, state: .requested, deadline: deadline, now: Date(timeIntervalSince1970: 99.9)))
        #expect(!RequestTransitions.arrivesPastDeadline(.expired, state: .requested, deadline: deadline, now: after), "the expiry itself")
        #expect(!RequestTransitions.arrivesPastDeadline(.applied, state: .approved, deadline: deadline, now: after),
                "an approved request is past waiting for its decision")
    }
}
