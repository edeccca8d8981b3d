import Crypto
import Foundation

/// Hex SHA-256 digests, for comparing bodies and storing tokens without keeping them.
public enum Fingerprint {
    /// The lowercase hex SHA-256 of `data`.
    public static func sha256Hex(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Lowercase hex of `bytes`. (Formatting each byte with `String(format:)` cost more than the hash itself
    /// on every submit.)
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var characters: [UInt8] = []
        characters.reserveCapacity(64)
        for byte in bytes {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: characters, as: UTF8.self)
    }
}
