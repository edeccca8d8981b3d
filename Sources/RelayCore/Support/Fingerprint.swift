import Crypto
import Foundation

/// Hex SHA-256 digests, for comparing bodies and storing tokens without keeping them.
public enum Fingerprint {
    /// The lowercase hex SHA-256 of `data`.
    public static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
