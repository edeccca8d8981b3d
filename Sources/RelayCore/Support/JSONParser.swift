import Foundation

/// Parses JSON text straight into a `JSONValue`. Decoding `JSONValue` through `Codable` cannot ask what the
/// next value is, only try each type in turn, and every wrong guess throws: a submit's string costs three
/// thrown `DecodingError`s, an object six. That was the largest part of the submit's JSON cost (issue 16).
/// The result is the value `JSONDecoder` gives for the same text (`JSONParserTests` compares the two on
/// every shape), its leniencies included (a trailing comma, a byte order mark, the first of repeated
/// names): numbers written as digits are integers when they fit, a whole number written with a fraction or
/// an exponent is one too, a lone surrogate or a non-finite number is an error. Where `JSONDecoder` is
/// erratic this is strict: a NUL after a number (which `JSONDecoder` sometimes reads as the end), a
/// malformed value under a repeated name (which `JSONDecoder` never reads), and whole numbers past 2⁵³
/// written with an exponent (which it reads sometimes as doubles, sometimes exactly).
struct JSONParser {
    /// `JSONDecoder`'s own nesting limit.
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    static func parse(_ data: Data) -> JSONValue? {
        data.withUnsafeBytes { raw in
            var parser = JSONParser(raw.bindMemory(to: UInt8.self))
            parser.skipByteOrderMark()
            guard let value = parser.value() else { return nil }
            parser.skipWhitespace()
            // (`nil` in a ternary beside a `JSONValue` would be `JSONValue.null`.)
            guard parser.index == parser.bytes.count else { return nil }
            return value
        }
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// `JSONDecoder` reads past a UTF-8 byte order mark.
    private mutating func skipByteOrderMark() {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func value() -> JSONValue? {
        skipWhitespace()
        guard let byte = current else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
        default: return nil
        }
    }

    private mutating func literal(_ text: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = text.utf8CodeUnitCount
        guard bytes.count - index >= count else { return nil }
        for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return nil }
        index += count
        return value
    }

    private mutating func object() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { return nil }
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\""), let key = string() else { return nil }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let member = value() else { return nil }
            // A repeated name keeps its first value, as `JSONDecoder` does.
            if members[key] == nil { members[key] = member }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                index += 1
                // `JSONDecoder` accepts a trailing comma; refusing it now would refuse bodies accepted before.
                skipWhitespace()
                if current == UInt8(ascii: "}") { index += 1; return .object(members) }
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: return nil
            }
        }
    }

    private mutating func array() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { return nil }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            guard let element = value() else { return nil }
            elements.append(element)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                if current == UInt8(ascii: "]") { index += 1; return .array(elements) }
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            default: return nil
            }
        }
    }

    /// A string, the opening quote at `index`; nil when it is not valid JSON or not valid UTF-8.
    private mutating func string() -> String? {
        index += 1
        let start = index
        // Most strings hold no escape: they are taken as they stand.
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { return nil }
            index += 1
        }
        guard let stop = current else { return nil }
        if stop == UInt8(ascii: "\"") {
            index += 1
            return String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index - 1]), as: UTF8.self)
        }
        var unescaped = Array(bytes[start..<index])
        while let byte = current {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: unescaped, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = current else { return nil }
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(escaped)
                case UInt8(ascii: "b"): unescaped.append(0x08)
                case UInt8(ascii: "f"): unescaped.append(0x0C)
                case UInt8(ascii: "n"): unescaped.append(0x0A)
                case UInt8(ascii: "r"): unescaped.append(0x0D)
                case UInt8(ascii: "t"): unescaped.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    unescaped.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            case 0..<0x20:
                return nil
            default:
                unescaped.append(byte)
            }
        }
        return nil
    }

    /// The scalar of a `\u` escape (its `\u` already read), joining a surrogate pair.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let first = hexQuad() else { return nil }
        switch first {
        case 0xD800...0xDBFF:
            guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
            index += 2
            guard let second = hexQuad(), (0xDC00...0xDFFF).contains(second) else { return nil }
            return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
        case 0xDC00...0xDFFF:
            return nil
        default:
            return Unicode.Scalar(first)
        }
    }

    private mutating func hexQuad() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// A number as RFC 8259 writes it: an integer when its decimal value is whole and fits `Int64` (written
    /// with a fraction or an exponent too, as `JSONDecoder` reads it: `1.0`, `4.9654000000000006e+17`),
    /// else a finite double.
    private mutating func number() -> JSONValue? {
        let start = index
        let negative = current == UInt8(ascii: "-")
        if negative { index += 1 }
        guard let first = current, isDigit(first) else { return nil }
        var digits: [UInt8] = []  // every digit of the integer and the fraction, in order
        digits.append(first)
        index += 1
        if first != UInt8(ascii: "0") { while let byte = current, isDigit(byte) { digits.append(byte); index += 1 } }
        var fractionDigits = 0
        if current == UInt8(ascii: ".") {
            index += 1
            guard let byte = current, isDigit(byte) else { return nil }
            while let byte = current, isDigit(byte) { digits.append(byte); fractionDigits += 1; index += 1 }
        }
        var exponent = 0
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            var exponentSign = 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                exponentSign = current == UInt8(ascii: "-") ? -1 : 1
                index += 1
            }
            guard let byte = current, isDigit(byte) else { return nil }
            while let byte = current, isDigit(byte) {
                exponent = min(exponent * 10 + Int(byte - UInt8(ascii: "0")), 100_000)
                index += 1
            }
            exponent *= exponentSign
        }
        let plain = index - start == digits.count + (negative ? 1 : 0)
        if let integer = Self.wholeNumber(digits, scale: exponent - fractionDigits, negative: negative),
           plain || abs(Double(integer)) < 0x1p63 {
            return .integer(integer)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let double = Double(text), double.isFinite else { return nil }
        // Written with a fraction or an exponent, a double that is whole (1e-400 reads as 0.0) is an integer to
        // `JSONDecoder` when it is inside ±2⁶³ as a double.
        if !plain, abs(double) < 0x1p63, let integer = Int64(exactly: double) { return .integer(integer) }
        return .number(double)
    }

    /// `digits` × 10^`scale` when that is a whole number within `Int64`.
    private static func wholeNumber(_ digits: [UInt8], scale: Int, negative: Bool) -> Int64? {
        var significant = digits[...]
        while significant.count > 1, significant.first == UInt8(ascii: "0") { significant = significant.dropFirst() }
        var scale = scale
        // Trailing zeros of a negative scale are not part of the value: 1.50 is 150 × 10⁻², i.e. 15 × 10⁻¹.
        while scale < 0, significant.count > 1, significant.last == UInt8(ascii: "0") { significant = significant.dropLast(); scale += 1 }
        if significant == [UInt8(ascii: "0")] { return 0 }
        guard scale >= 0, significant.count + scale <= 19 else { return nil }
        var magnitude: UInt64 = 0
        for digit in significant { magnitude = magnitude * 10 + UInt64(digit - UInt8(ascii: "0")) }
        for _ in 0..<scale {
            let (scaled, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            magnitude = scaled
        }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
