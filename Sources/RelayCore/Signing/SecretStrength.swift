/// Which configured secrets are too weak to start with (SPEC §11): shorter than a guess-proof length, or a
/// placeholder copied from the example manifests.
public enum SecretStrength {
    /// Tokens: 16 bytes at least (`openssl rand -hex 32` gives 64).
    public static let minimumTokenBytes = 16

    /// The placeholders the example manifests ship, so a copied manifest cannot start as it is.
    public static func isExample(_ value: String) -> Bool {
        let lower = value.lowercased()
        return lower.hasPrefix("change-me") || lower.hasPrefix("changeme") || lower.hasPrefix("replace-me")
    }

    /// Why `value` is refused, or nil.
    public static func problem(_ value: String, minimumBytes: Int) -> String? {
        if isExample(value) { return "is the example value from the manifests (\(value.prefix(9))…)" }
        if value.utf8.count < minimumBytes { return "is \(value.utf8.count) bytes long; at least \(minimumBytes) are required" }
        return nil
    }
}
