import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import RelayDelivery

/// Renders console pages with the layout's shared values, and the headers every console answer carries.
struct ConsoleRenderer: Sendable {
    let library: MustacheLibrary
    /// `Secure` on the cookies when the relay is reached over TLS (its public URL is https).
    let secureCookies: Bool

    /// No caching of pages that show operational data or a secret; no framing; scripts and styles only
    /// from the relay itself; forms post only to it.
    static let securityHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .cacheControl: "no-store",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ]

    func page(_ template: String, _ data: [String: Any], session: ConsoleSessions.Session?, sessions: ConsoleSessions?,
              nav: String?, notice: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        var context = data
        context["version"] = "webhook-relay \(RelayVersion.current)"
        if let session, let sessions {
            context["signedIn"] = true
            context["csrf"] = sessions.csrfToken(for: session)
        }
        if let nav { context["nav"] = [nav: true] }
        if let notice { context["notice"] = notice }
        let html = library.render(context, withTemplate: template) ?? "<!doctype html><title>Console</title><p>Page \(template) is missing."
        return Response(status: status, headers: Self.securityHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func problem(_ status: HTTPResponse.Status, _ heading: String, _ message: String, session: ConsoleSessions.Session?,
                 sessions: ConsoleSessions?, back: String = "/console") -> Response {
        page("problem", ["heading": heading, "message": message, "back": back], session: session, sessions: sessions, nav: nil, status: status)
    }

    func noAdminToken() -> Response {
        problem(.serviceUnavailable, "The console needs an admin token",
                "Set admin_token (RELAY_ADMIN_TOKEN) and restart the relay; signing in to the console uses it.",
                session: nil, sessions: nil, back: "/console")
    }

    func setCookie(_ name: String, _ value: String, maxAge: Int, on response: inout Response, request: Request) {
        response.setCookie(Cookie(name: name, value: value, maxAge: maxAge, path: "/console",
                                  secure: secure(request), httpOnly: true, sameSite: .strict))
    }

    func clearCookie(_ name: String, on response: inout Response, request: Request) {
        response.setCookie(Cookie(name: name, value: "", maxAge: 0, path: "/console", secure: secure(request), httpOnly: true, sameSite: .strict))
    }

    /// TLS at the relay's public URL, or at a proxy in front of it that says so.
    private func secure(_ request: Request) -> Bool {
        secureCookies || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300", HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
