import Foundation

/// Time-ordered, unguessable identifiers: a prefix, 48 bits of milliseconds and 80 random bits
/// in Crockford base32. Sorting by id sorts by creation time, which cursor paging relies on.
public enum Identifier {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    /// A new identifier such as `msg_01j9z3…`.
    public static func make(_ prefix: String, at date: Date) -> String {
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var out = prefix + "_"
        for shift in stride(from: 45, through: 0, by: -5) {
            out.append(alphabet[Int((millis >> UInt64(shift)) & 31)])
        }
        let random = SecureBytes.generate(10)
        var bits: UInt64 = 0
        var bitCount = 0
        for byte in random {
            bits = (bits << 8) | UInt64(byte)
            bitCount += 8
            while bitCount >= 5 {
                bitCount -= 5
                out.append(alphabet[Int((bits >> UInt64(bitCount)) & 31)])
            }
        }
        return out
    }
}
