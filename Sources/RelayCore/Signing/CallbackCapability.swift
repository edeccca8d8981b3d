import Crypto
import Foundation

/// The per-request callback URL handed to adapters (SPEC §5): `<public URL>/callbacks/<token>`, the token
/// an unguessable capability bound to one request. Tokens are derived (HMAC-SHA256 of the request id
/// under the relay's callback key), so the store keeps only their hashes and the delivery body is
/// completed at send time.
public struct CallbackCapability: Sendable {
    let key: SymmetricKey
    public let publicURL: String

    public init(key: [UInt8], publicURL: String) {
        self.key = SymmetricKey(data: key)
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    }

    /// The request's token: 256 bits, URL-safe base64.
    public func token(for requestId: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("callback:\(requestId)".utf8), using: key)
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// What the store keeps for lookups.
    public func tokenHash(for requestId: String) -> String {
        CapabilityToken.hash(token(for: requestId))
    }

    /// The URL an adapter calls back.
    public func url(for requestId: String) -> String {
        "\(publicURL)/callbacks/\(token(for: requestId))"
    }

    /// Stands in the stored delivery body where the callback URL goes; unpredictable before submit.
    public static func placeholder(for requestId: String) -> String {
        "{{webhook-relay:callback-url:\(requestId)}}"
    }

    /// The body with its placeholder replaced by the real callback URL.
    public func complete(_ body: Data, requestId: String) -> Data {
        let placeholder = Data(Self.placeholder(for: requestId).utf8)
        guard let range = body.range(of: placeholder) else { return body }
        var completed = body
        completed.replaceSubrange(range, with: Data(url(for: requestId).utf8))
        return completed
    }
}
