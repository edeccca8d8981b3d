import Foundation

/// Unguessable bearer values (admin-issued tokens, callback capabilities) and their stored hashes.
public enum CapabilityToken {
    /// A new token of 256 random bits, URL-safe base64 without padding.
    public static func generate() -> String {
        Data(SecureBytes.generate(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The hex SHA-256 of a token: what the store keeps instead of the token.
    public static func hash(_ token: String) -> String {
        Fingerprint.sha256Hex(Data(token.utf8))
    }
}
