import Foundation

/// A Standard Webhooks signing secret: `whsec_` followed by the base64 of the key bytes.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible {
    /// The raw key bytes.
    public let key: [UInt8]

    /// The prefix every secret carries.
    public static let prefix = "whsec_"

    /// Parses `whsec_<base64>` holding 24 to 64 bytes; nil otherwise.
    public init?(_ text: String) {
        guard text.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))),
              (24...64).contains(data.count) else { return nil }
        self.key = Array(data)
    }

    init(key: [UInt8]) {
        self.key = key
    }

    /// A new secret of 32 random bytes.
    public static func generate() -> WebhookSecret {
        WebhookSecret(key: SecureBytes.generate(32))
    }

    /// The `whsec_…` form, as shown to the integrator.
    public var description: String {
        Self.prefix + Data(key).base64EncodedString()
    }
}
