import Foundation
import RelayCore
import Testing

/// `JSONValue.parse` reads JSON without `Codable` (issue 16): it must give exactly the value — or the
/// refusal — that decoding `JSONValue` with `JSONDecoder` gives, on every shape of input.
struct JSONParserTests {
    static func reference(_ data: Data) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    static let edges: [String] = [
        // literals and fragments
        "true", "false", "null", "tru", "nul", "True", "", " ", "\n\t 1 \r\n", "1 2", "{} x", "[]]",
        // numbers
        "0", "-0", "-0.0", "1.0", "-1.5", "1e2", "1E+2", "1e-2", "2.5e3", "0.1", "1e18", "9.3e18",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890", "1e400", "-1e400", "1.7976931348623157e308", "5e-324", "1e-400", "1e-300", "1.0000000000000000001", "0.99999999999999999999", "4.9654000000000006e+17",
        "-9223372036854775808.0", "9223372036854775807e0", "92233720368547758070e-1", "1.5e1", "15e-1", "100e-2",
        "01", "-01", "1.", ".5", "+1", "-", "1e", "1e+", "NaN", "Infinity", "-Infinity", "0x10", "1_000",
        // strings
        #""plain""#, #""caf\u00e9""#, #""\ud83d\ude00""#, #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#,
        #""\u0000""#, #""\x""#, #""\"\\\/\b\f\n\r\t""#, #""\u00""#, #""\uZZZZ""#, "\"tab\there\"", "\"unterminated",
        "\"é and 日本\"", "\"\u{1F600}\"",
        // structures
        "[]", "{}", "[1,]", "[,1]", #"{"a":1,}"#, #"{"a":1,"a":2}"#, #"{"a" 1}"#, #"{a:1}"#, #"{"a":}"#,
        #"{"a":[1,{"b":null}],"c":{"d":[true,false,-2.5e-3]}}"#, " [ 1 , 2 ] ", "[1 2]", #"{"a":1 "b":2}"#,
        // a submit as the control planes send it
        #"{"kind":"approval","correlation_id":"c-1","tool":"k8s_secret","arguments":{"namespace":"prod","n":3},"justification":"j","callback":{"url":"http://h/d"},"timeout_sec":600}"#,
    ]

    @Test(arguments: edges) func edgeCasesParseAsJSONDecoderDoes(text: String) {
        let data = Data(text.utf8)
        #expect(JSONValue.parse(data) == Self.reference(data), "\(text)")
    }

    @Test func invalidUTF8AndDepthAreRefusedAsJSONDecoderRefusesThem() {
        let cases: [Data] = [
            Data([0x22, 0xFF, 0x22]), Data([0x22, 0xC0, 0xAF, 0x22]), Data([0x22, 0xED, 0xA0, 0x80, 0x22]),
            Data([0x5B, 0x22, 0xE2, 0x82, 0x22, 0x5D]), Data([0xEF, 0xBB, 0xBF, 0x31]),
            Data([0x2D, 0x31, 0x2E, 0x35, 0x00]), Data([0x31, 0x2E, 0x30, 0x00]), Data([0x31, 0x65, 0x32, 0x00]), Data([0x36, 0x00, 0x00]),
            Data([0x36, 0x20, 0x00]), Data([0x22, 0x61, 0x22, 0x00]), Data([0x5B, 0x31, 0x5D, 0x00]), Data([0x74, 0x72, 0x75, 0x65, 0x00]),
            Data((String(repeating: "[", count: 511) + String(repeating: "]", count: 511)).utf8),
            Data((String(repeating: "[", count: 512) + String(repeating: "]", count: 512)).utf8),
            Data((String(repeating: "[", count: 513) + String(repeating: "]", count: 513)).utf8),
            Data((String(repeating: #"{"a":"#, count: 513) + "1" + String(repeating: "}", count: 513)).utf8),
        ]
        for data in cases {
            #expect(JSONValue.parse(data) == Self.reference(data), "\(Array(data.prefix(12)))")
        }
    }

    /// Random documents, as encoded and then with random bytes changed: the same value or the same refusal.
    @Test func randomDocumentsAndTheirMutationsParseAsJSONDecoderDoes() throws {
        var compared = 0
        for seed in Self.seeds {
        var random = RandomizedDecoderTests.SeededRandom(state: seed)
        for _ in 0..<5_000 {
            let document = Self.randomValue(&random, depth: 0)
            let encoder = JSONEncoder()
            encoder.outputFormatting = random.next() % 2 == 0 ? [.prettyPrinted] : []
            let data = try encoder.encode(document)
            #expect(JSONValue.parse(data) == Self.reference(data), "\(String(decoding: data, as: UTF8.self))")
            var mutated = Array(data)
            for _ in 0..<(1 + Int(random.next() % 3)) where !mutated.isEmpty {
                let at = Int(random.next() % UInt64(mutated.count))
                let byte = Self.interesting[Int(random.next() % UInt64(Self.interesting.count))]
                switch random.next() % 3 {
                case 0: mutated[at] = byte
                case 1: mutated.insert(byte, at: at)
                default: mutated.remove(at: at)
                }
            }
            let changed = Data(mutated)
            if Self.erratic(changed) {
                if changed.contains(0) { #expect(JSONValue.parse(changed) == nil, "a NUL is refused") }
            } else {
                #expect(JSONValue.parse(changed) == Self.reference(changed), "\(Array(changed))")
            }
            compared += 2
        }
        }
        #expect(compared == 10_000 * Self.seeds.count)
    }

    static let seeds: [UInt64] = [16, 17, 18]

    /// Where `JSONDecoder` itself is erratic (see `JSONParser`): a NUL byte, a whole number past 2⁵³ written
    /// with a fraction or an exponent, a repeated name (whose later value it never reads, malformed or not).
    static func erratic(_ data: Data) -> Bool {
        if data.contains(0) { return true }
        let text = String(decoding: data, as: UTF8.self)
        let names = text.matches(of: /"k[0-9]+"\s*:/).map { String($0.output) }
        if Set(names).count < names.count { return true }
        return text.matches(of: /-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/).contains { match in
            let token = String(match.output.0)
            return token.contains(where: { ".eE".contains($0) }) && abs(Double(token) ?? 0) >= 0x1p53
        }
    }

    static let interesting: [UInt8] = Array(#"{}[]",:.-+eE0159\"/ untfl"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF]

    static func randomValue(_ random: inout RandomizedDecoderTests.SeededRandom, depth: Int) -> JSONValue {
        switch random.next() % (depth > 4 ? 6 : 8) {
        case 0: return .null
        case 1: return .bool(random.next() % 2 == 0)
        case 2: return .integer(Int64(bitPattern: random.next()) >> (random.next() % 64))
        case 3: return .number(Double(Int64(bitPattern: random.next()) % 1_000_000) / 1_000 * pow(10, Double(Int(random.next() % 40) - 20)))
        case 4, 5:
            let alphabet = Array("aé z\"\\/\n\t\u{1}日😀0".unicodeScalars)
            return .string(String(String.UnicodeScalarView((0..<Int(random.next() % 12)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })))
        case 6: return .array((0..<Int(random.next() % 5)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for index in 0..<Int(random.next() % 5) { members["k\(index)\(random.next() % 3)"] = randomValue(&random, depth: depth + 1) }
            return .object(members)
        }
    }
}
