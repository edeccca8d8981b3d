import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// Who may see a page or post a form: the session cookie, the CSRF token, sign-in and its redirect.
extension ConsoleRoutes {
    /// A page behind the session: without one, to sign-in and back here after.
    func view(_ request: Request, _ context: BasicRequestContext,
              _ handler: (Request, ConsoleSessions.Session) async throws -> Response) async throws -> Response {
        guard let sessions else { return renderer.noAdminToken() }
        guard let session = sessions.verify(request.cookies[ConsoleSessions.cookieName]?.value, now: clock.now()) else {
            let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return .redirect(to: "/console/sign-in?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/console"))
        }
        return try await rendered(request, session: session) { try await handler(request, session) }
    }

    /// A form post behind the session and its CSRF token.
    func action(_ request: Request, _ context: BasicRequestContext,
                _ handler: (ConsoleForm, ConsoleSessions.Session) async throws -> Response) async throws -> Response {
        guard let sessions else { return renderer.noAdminToken() }
        guard let session = sessions.verify(request.cookies[ConsoleSessions.cookieName]?.value, now: clock.now()) else {
            return .redirect(to: "/console/sign-in")
        }
        let form = try await Self.form(request, limit: dependencies.settings.maxBodyBytes)
        guard sessions.checkCSRF(form["csrf"], for: session) else {
            context.logger.warning("console form refused: missing or wrong CSRF token", metadata: ["path": "\(request.uri.path)"])
            return renderer.problem(.forbidden, "This form cannot be accepted",
                                    "The form did not carry this session's CSRF token, so it may not come from this console. Reload the page and submit it again.",
                                    session: session, sessions: sessions)
        }
        return try await rendered(request, session: session) { try await handler(form, session) }
    }

    /// Runs a page, and shows what went wrong as a page (not the API's JSON) when it fails.
    func rendered(_ request: Request, session: ConsoleSessions.Session,
                  _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            return renderer.problem(error.status, "That did not work", error.message, session: session, sessions: sessions)
        } catch StoreError.unavailable(let message) {
            return renderer.problem(.serviceUnavailable, "The database cannot be reached", message, session: session, sessions: sessions)
        }
    }

    func signInPage(_ request: Request, next: String?, error: String?, status: HTTPResponse.Status) -> Response {
        guard let sessions else { return renderer.noAdminToken() }
        if error == nil, sessions.verify(request.cookies[ConsoleSessions.cookieName]?.value, now: clock.now()) != nil {
            return .redirect(to: "/console")
        }
        let nonce = ConsoleSessions.randomToken()
        var data: [String: Any] = [
            "signInToken": sessions.signInToken(for: nonce), "next": Self.safeNext(next),
            "sessionHours": dependencies.settings.consoleSessionHours,
        ]
        if let error { data["error"] = error }
        var response = renderer.page("sign-in", data, session: nil, sessions: sessions, nav: nil, status: status)
        renderer.setCookie(ConsoleSessions.signInCookieName, nonce, maxAge: 3600, on: &response, request: request)
        return response
    }

    func signIn(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let sessions, let adminToken = dependencies.settings.adminToken else { return renderer.noAdminToken() }
        let form = try await Self.form(request, limit: dependencies.settings.maxBodyBytes)
        guard let nonce = request.cookies[ConsoleSessions.signInCookieName]?.value,
              let presented = form["csrf"], ConstantTime.equals(presented, sessions.signInToken(for: nonce)) else {
            context.logger.warning("console sign-in refused: missing or wrong CSRF token")
            return renderer.problem(.forbidden, "This form cannot be accepted",
                                    "The sign-in form was stale or did not come from this console. Open the sign-in page again.",
                                    session: nil, sessions: sessions, back: "/console/sign-in")
        }
        guard let token = form["token"], ConstantTime.equals(token, adminToken) else {
            context.logger.warning("console sign-in refused: wrong admin token")
            return signInPage(request, next: form["next"], error: "That is not the admin token.", status: .unauthorized)
        }
        let (cookie, _) = sessions.issue(now: clock.now())
        var response = Response.redirect(to: Self.safeNext(form["next"]))
        renderer.setCookie(ConsoleSessions.cookieName, cookie, maxAge: Int(sessions.lifetime), on: &response, request: request)
        renderer.clearCookie(ConsoleSessions.signInCookieName, on: &response, request: request)
        context.logger.info("console session started")
        return response
    }

    static func safeNext(_ next: String?) -> String {
        guard let next, ConsoleNext.isSafe(next) else { return "/console" }
        return next
    }

    static func form(_ request: Request, limit: Int) async throws -> ConsoleForm {
        var request = request
        let body = try await request.collectBody(upTo: limit)
        return ConsoleForm(String(decoding: body.readableBytesView, as: UTF8.self))
    }

    static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }
}
