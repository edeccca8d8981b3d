import Foundation
import RelayCore
import Testing

/// Every decoder of RelayCore fed thousands of random and mutated inputs from a fixed seed: none may
/// crash, and what they accept must keep their contract (issue 6, hostile input). One at a time: each is
/// seconds of CPU without a suspension point, and two at once would hold both threads of the cooperative
/// pool that the relays of the other tests run on.
@Suite(.serialized) struct RandomizedDecoderTests {
    /// SplitMix64: small, fast, and the same sequence on every run.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let iterations = 3_000
    static let words = ["kind", "approval", "execution", "correlation_id", "tool", "name", "decision", "approve", "deny",
                        "error", "status", "success", "callback", "url", "http://127.0.0.1:1/x", "justification",
                        "approval_request", "risk_assessment", "arguments", "timeout_sec", "links_to_code", "text",
                        "endpoints", "approval_request_id", "", "é", "\u{0}", "🙂", "APPROVE", "applied", "expired"]

    static func randomValue(_ random: inout SeededRandom, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .integer(Int64.random(in: -5...Int64.max, using: &random))
        case 3: return .number(Double.random(in: -1e9...1e9, using: &random))
        case 4: return .string(words.randomElement(using: &random)! + String(repeating: "x", count: Int.random(in: 0...12, using: &random)))
        case 5: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...8, using: &random) {
                object[words.randomElement(using: &random)!] = randomValue(&random, depth: depth + 1)
            }
            return .object(object)
        }
    }

    /// Random bytes, or a random JSON document with a few bytes flipped, cut or doubled.
    static func randomBody(_ random: inout SeededRandom) -> Data {
        var bytes = [UInt8](randomValue(&random).encoded())
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return Data((0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
        case 1 where !bytes.isEmpty:
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
        case 2 where !bytes.isEmpty: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
        default: break
        }
        return Data(bytes)
    }

    @Test func jsonValueRoundTripsAndRejectsWithoutCrashing() {
        var random = SeededRandom(state: 1)
        for _ in 0..<Self.iterations {
            let value = Self.randomValue(&random)
            #expect(JSONValue.parse(value.encoded()) == value, "encode → parse changed \(value)")
            _ = JSONValue.parse(Self.randomBody(&random))
        }
    }

    @Test func submissionValidatorAcceptsOnlyWhatItsContractSays() {
        var random = SeededRandom(state: 2)
        let doors: [SubmissionValidator.Door] = [.native, .dropIn(.approval), .dropIn(.execution)]
        var accepted = 0
        for index in 0..<Self.iterations {
            // Half the time a nearly valid approval with one field replaced, so acceptance is reached too.
            var body = Self.randomBody(&random)
            if index.isMultiple(of: 2) {
                var object: [String: JSONValue] = [
                    "kind": "approval", "correlation_id": .string("c\(index)"), "tool": "github_tool",
                    "justification": "ten characters at least", "approval_request": "ten characters at least",
                    "risk_assessment": "ten characters at least",
                ]
                object[Self.words.randomElement(using: &random)!] = Self.randomValue(&random)
                body = JSONValue.object(object).encoded()
            }
            for door in doors {
                guard case .success(let submission) = SubmissionValidator.validate(body, door: door) else { continue }
                accepted += 1
                #expect(!submission.correlationId.trimmingCharacters(in: .whitespaces).isEmpty)
                #expect(submission.correlationId.utf8.count <= SubmissionValidator.maxCorrelationIdBytes)
                #expect(!submission.tool.isEmpty)
                if let url = submission.callbackURL { #expect(url.hasPrefix("http://") || url.hasPrefix("https://")) }
            }
        }
        #expect(accepted > 100, "the generator reached acceptance \(accepted) times")
    }

    /// Random words and reasons through every door: each normalizes exactly as SPEC §5's table says (restated
    /// here as the oracle), keeps the reason and result it came with, and anything else is refused naming its field.
    @Test func decisionNormalizationFollowsTheTableForAnyWord() {
        var random = SeededRandom(state: 3)
        let words = Self.words + ["approved", "denied", "failed", "Deny", "SUCCESS", DecisionNormalization.approvalTimeout]
        let reasons: [String?] = [nil, "ok", DecisionNormalization.approvalTimeout, "Approval Timeout", DecisionNormalization.executionTimeout]
        for _ in 0..<Self.iterations {
            let word = words.randomElement(using: &random)!
            let reason = reasons.randomElement(using: &random)!
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                let expected: Decision? = switch word.lowercased() {
                case "approve": .approved
                case "deny": .denied
                case "error": reason?.lowercased() == "approval timeout" ? .expired : .failed
                default: nil
                }
                check(.approver(decision: word, reason: reason), expected, reason: reason, field: "decision")
            case 1:
                let result: JSONValue? = Bool.random(using: &random) ? reason.map(JSONValue.string) : Self.randomValue(&random)
                let expected: Decision? = switch word.lowercased() {
                case "success": .applied
                case "error": result?.stringValue?.lowercased() == "execution timeout" ? .expired : .failed
                default: nil
                }
                let outcome = check(.executor(status: word, result: result), expected, reason: nil, field: "status")
                if expected == .applied { #expect(outcome?.result == (result ?? .null), "\(word): the result is kept") }
            default:
                let expected = Decision(rawValue: word.lowercased())
                check(.codex(decision: word, reason: reason, actor: "u1"), expected, reason: reason, field: "decision")
            }
        }
    }

    @discardableResult
    func check(_ incoming: IncomingDecision, _ expected: Decision?, reason: String?, field: String) -> NormalizedDecision? {
        switch DecisionNormalization.normalize(incoming) {
        case .success(let normalized):
            #expect(normalized.decision == expected, "\(incoming)")
            // An executor's reason is its result's text; the other doors keep the reason they were given.
            if case .executor = incoming {} else { #expect(normalized.reason == reason, "\(incoming)") }
            return normalized
        case .failure(let error):
            #expect(expected == nil, "\(incoming) was refused: \(error.message)")
            #expect(error.field == field)
            return nil
        }
    }

    @Test func answerClassificationTakesAnyStatusHeaderAndBody() {
        var random = SeededRandom(state: 4)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for _ in 0..<Self.iterations {
            let status = Int.random(in: -1...700, using: &random)
            let retryAfter = Bool.random(using: &random) ? String(decoding: Self.randomBody(&random).prefix(20), as: UTF8.self) : nil
            let verdict = AnswerClassification.classify(.response(status: status, retryAfter: retryAfter, body: Self.randomBody(&random)), now: now)
            if case .delivered = verdict { #expect((200..<300).contains(status)) }
        }
    }

    /// A secret parses exactly when it is `whsec_` and the base64 of 24 to 64 bytes, and shows those bytes again;
    /// random text parses only when it has that form.
    @Test func secretsParseExactlyTheirForm() {
        var random = SeededRandom(state: 5)
        for _ in 0..<Self.iterations {
            let bytes = (0..<Int.random(in: 0...80, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let encoded = Data(bytes).base64EncodedString()
            let secret = WebhookSecret("whsec_" + encoded)
            #expect((secret != nil) == (24...64).contains(bytes.count), "\(bytes.count) bytes")
            if let secret { #expect(secret.key == bytes && secret.description == "whsec_" + encoded) }
            #expect(WebhookSecret(encoded) == nil, "a secret without its prefix")
            let text = String(decoding: Self.randomBody(&random), as: UTF8.self)
            if let parsed = WebhookSecret("whsec_" + text) {
                #expect(Data(base64Encoded: text).map(Array.init) == parsed.key, "\(text.debugDescription) parsed but is not base64")
            }
        }
    }

    /// An IPv4 CIDR parses exactly when its prefix is 0…32, and then contains its own network; random text parses
    /// only as a range that prints and parses back the same.
    @Test func addressRangesParseExactlyCIDR() {
        var random = SeededRandom(state: 6)
        for _ in 0..<Self.iterations {
            let octets = (0..<4).map { _ in Int.random(in: 0...255, using: &random) }
            let prefix = Int.random(in: -2...40, using: &random)
            let text = octets.map(String.init).joined(separator: ".") + "/\(prefix)"
            let range = IPRange(text)
            #expect((range != nil) == (0...32).contains(prefix), "\(text)")
            if let range {
                #expect(range.description == text)
                #expect(range.contains(range.network))
            }
            let garbage = String(decoding: Self.randomBody(&random), as: UTF8.self)
            for candidate in [garbage, garbage + "/" + String(Int.random(in: -1...200, using: &random))] {
                if let parsed = IPRange(candidate) { #expect(IPRange(parsed.description) == parsed, "\(candidate.debugDescription)") }
            }
        }
    }
}
