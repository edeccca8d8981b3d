import Crypto
import Foundation

/// The callback URL handed to adapters (SPEC §5, §12): `<public URL>/callbacks/<token>`, the token an
/// unguessable capability bound to one delivery of one request, so that the callback names both. Tokens are
/// derived (HMAC-SHA256 of the request and message ids under the relay's callback key), so the store keeps
/// only their hashes and the delivery body is completed at send time.
public struct CallbackCapability: Sendable {
    let key: SymmetricKey
    public let publicURL: String

    public init(key: [UInt8], publicURL: String) {
        self.key = SymmetricKey(data: key)
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    }

    /// A delivery's token: 256 bits, URL-safe base64. Without a delivery, the request's own token, which
    /// deliveries stored before capabilities were per delivery still carry.
    public func token(for requestId: String, delivery messageId: String? = nil) -> String {
        let subject = messageId.map { "callback:\(requestId):\($0)" } ?? "callback:\(requestId)"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(subject.utf8), using: key)
        return CapabilityToken.base64URL(Data(mac))
    }

    /// What the store keeps for lookups.
    public func tokenHash(for requestId: String, delivery messageId: String? = nil) -> String {
        CapabilityToken.hash(token(for: requestId, delivery: messageId))
    }

    /// The URL an adapter calls back.
    public func url(for requestId: String, delivery messageId: String? = nil) -> String {
        "\(publicURL)/callbacks/\(token(for: requestId, delivery: messageId))"
    }

    /// The token a stored delivery's body is completed with: its own when it has one stored, else its request's.
    public func token(of message: Message) -> String {
        token(for: message.requestId, delivery: message.callbackTokenHash == nil ? nil : message.id)
    }

    /// Stands in the stored delivery body where the callback URL goes; unpredictable before submit.
    public static func placeholder(for requestId: String) -> String {
        "{{webhook-relay:callback-url:\(requestId)}}"
    }

    /// A delivery's body with its placeholder replaced by the delivery's callback URL.
    public func complete(_ message: Message) -> Data {
        let placeholder = Data(Self.placeholder(for: message.requestId).utf8)
        guard let range = message.body.range(of: placeholder) else { return message.body }
        var completed = message.body
        completed.replaceSubrange(range, with: Data("\(publicURL)/callbacks/\(token(of: message))".utf8))
        return completed
    }
}
