import Foundation

/// The rule of a secret rotation: the new secret signs from now on; the ones before it keep signing
/// until `grace` has passed (or their own earlier expiry), then drop out.
public enum SecretRotation {
    /// How long, in seconds, a rotated-out secret may keep signing: the setting's range and the API's.
    public static let graceRange = 0...(30 * 86400)

    public static func rotate(_ secrets: [SigningSecret], to new: String, now: Date, grace: TimeInterval) -> [SigningSecret] {
        let retiring = secrets
            .filter { $0.expiresAt.map { $0 > now } ?? true }
            .map { SigningSecret(secret: $0.secret, expiresAt: min($0.expiresAt ?? .distantFuture, now.addingTimeInterval(grace))) }
            .filter { $0.expiresAt! > now }
        return [SigningSecret(secret: new)] + retiring
    }
}
