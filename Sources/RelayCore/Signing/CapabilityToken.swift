import Foundation

/// Unguessable bearer values (admin-issued tokens, callback capabilities) and their stored hashes.
public enum CapabilityToken {
    /// A new token of 256 random bits, URL-safe base64 without padding.
    public static func generate() -> String {
        base64URL(Data(SecureBytes.generate(32)))
    }

    /// URL-safe base64 without padding (RFC 4648 §5), byte by byte: Foundation's `replacingOccurrences` on
    /// Linux goes through NSString and cost more than the HMAC of a callback token (two per delivery; issue 16).
    public static func base64URL(_ data: Data) -> String {
        var encoded: [UInt8] = []
        encoded.reserveCapacity((data.count * 4 + 2) / 3)
        for byte in data.base64EncodedData() {
            switch byte {
            case UInt8(ascii: "+"): encoded.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): encoded.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): continue
            default: encoded.append(byte)
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// The hex SHA-256 of a token: what the store keeps instead of the token.
    public static func hash(_ token: String) -> String {
        Fingerprint.sha256Hex(Data(token.utf8))
    }
}
