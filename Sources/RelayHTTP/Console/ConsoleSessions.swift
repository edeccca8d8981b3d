import Crypto
import Foundation
import RelayApplication
import RelayCore

/// Console sign-in without server-side state, so every instance on one database accepts every session:
/// the cookie is `expiry.nonce.mac`, the MAC keyed by a key derived from the admin token. Changing the
/// admin token therefore signs everybody out; signing out clears the cookie, and a copied cookie dies at
/// its expiry. A form's CSRF token is a MAC of the session's nonce, so it is valid for that session only.
struct ConsoleSessions: Sendable {
    static let cookieName = "relay_console"
    /// Set by the sign-in page and echoed by its form: sign-in is guarded like every other form.
    static let signInCookieName = "relay_console_signin"

    private let key: SymmetricKey
    let lifetime: TimeInterval

    init(adminToken: String, lifetime: TimeInterval) {
        key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(
            for: Data("webhook-relay console session v1".utf8), using: SymmetricKey(data: Data(adminToken.utf8))
        ))
        self.lifetime = lifetime
    }

    struct Session: Sendable {
        var nonce: String
        var expiresAt: Date
    }

    func issue(now: Date) -> (cookie: String, session: Session) {
        let session = Session(nonce: Self.randomToken(), expiresAt: now.addingTimeInterval(lifetime))
        let expiry = String(Int64(session.expiresAt.timeIntervalSince1970))
        return ("\(expiry).\(session.nonce).\(mac("session|\(expiry)|\(session.nonce)"))", session)
    }

    /// The session a cookie carries, if its MAC holds and it has not expired.
    func verify(_ cookie: String?, now: Date) -> Session? {
        guard let parts = cookie?.split(separator: ".", omittingEmptySubsequences: false), parts.count == 3,
              let expiry = Int64(parts[0]) else { return nil }
        let (expiryText, nonce, presented) = (String(parts[0]), String(parts[1]), String(parts[2]))
        guard ConstantTime.equals(presented, mac("session|\(expiryText)|\(nonce)")) else { return nil }
        let expiresAt = Date(timeIntervalSince1970: TimeInterval(expiry))
        return expiresAt > now ? Session(nonce: nonce, expiresAt: expiresAt) : nil
    }

    func csrfToken(for session: Session) -> String { mac("csrf|\(session.nonce)") }

    func checkCSRF(_ presented: String?, for session: Session) -> Bool {
        guard let presented else { return false }
        return ConstantTime.equals(presented, csrfToken(for: session))
    }

    /// The sign-in form's token: a MAC of the nonce in its cookie.
    func signInToken(for nonce: String) -> String { mac("sign-in|\(nonce)") }

    private func mac(_ text: String) -> String {
        Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)))
    }

    static func randomToken() -> String {
        base64URL(Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
