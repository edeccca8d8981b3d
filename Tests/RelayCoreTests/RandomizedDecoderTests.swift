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

    @Test func decisionNormalizationNeverInventsADecision() {
        var random = SeededRandom(state: 3)
        for _ in 0..<Self.iterations {
            let word = Self.words.randomElement(using: &random)!
            let incoming: IncomingDecision
            switch Int.random(in: 0..<3, using: &random) {
            case 0: incoming = .approver(decision: word, reason: Bool.random(using: &random) ? word : nil)
            case 1: incoming = .executor(status: word, result: Self.randomValue(&random))
            default: incoming = .codex(decision: word, reason: nil, actor: nil)
            }
            if case .success(let normalized) = DecisionNormalization.normalize(incoming) {
                #expect(Decision.allCases.contains(normalized.decision))
            }
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

    @Test func secretsAndAddressRangesRejectGarbage() {
        var random = SeededRandom(state: 5)
        for _ in 0..<Self.iterations {
            let text = String(decoding: Self.randomBody(&random), as: UTF8.self)
            _ = WebhookSecret(text)
            _ = WebhookSecret("whsec_" + text)
            _ = IPRange(text)
            _ = IPRange(text + "/" + String(Int.random(in: -1...200, using: &random)))
        }
    }
}
