import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery
import RelayStore

/// Who may see a page or post a form: the session cookie, the CSRF token, sign-in and its redirect.
extension ConsoleRoutes {
    /// A page behind the session: without one, to sign-in and back here after.
    func view(_ request: Request, _ context: RelayRequestContext,
              _ handler: (Request, ConsoleSessions.Session) async throws -> Response) async throws -> Response {
        guard let sessions else { return renderer.noAdminToken() }
        guard let session = try await liveSession(request, sessions) else {
            let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return .redirect(to: "/console/sign-in?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/console"))
        }
        return try await rendered(request, session: session) { try await handler(request, session) }
    }

    /// A form post behind the session and its CSRF token.
    func action(_ request: Request, _ context: RelayRequestContext,
                _ handler: (ConsoleForm, ConsoleSessions.Session) async throws -> Response) async throws -> Response {
        guard let sessions else { return renderer.noAdminToken() }
        guard let session = try await liveSession(request, sessions) else {
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

    /// The request's session: its cookie's MAC holds, it has not expired, and it was not signed out on any
    /// instance (the store keeps signed-out sessions until they would have expired).
    func liveSession(_ request: Request, _ sessions: ConsoleSessions) async throws -> ConsoleSessions.Session? {
        guard let session = sessions.verify(request.cookies[ConsoleSessions.cookieName]?.value, now: clock.now()) else { return nil }
        return try await dependencies.store.isConsoleSessionRevoked(nonce: session.nonce) ? nil : session
    }

    /// Runs a page, and shows what went wrong as a page (not the API's JSON) when it fails.
    func rendered(_ request: Request, session: ConsoleSessions.Session,
                  _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            return renderer.problem(error.status, "That did not work", error.message, session: session, sessions: sessions)
        } catch let error as RelayError {
            return renderer.problem(APIError(error).status, "That did not work", error.message, session: session, sessions: sessions)
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

    func signIn(_ request: Request, _ context: RelayRequestContext) async throws -> Response {
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
            context.logger.warning("console sign-in refused: wrong admin token", metadata: ["client": "\(context.clientKey)"])
            switch dependencies.throttle.failed(context.clientKey, now: clock.now()) {
            case .delay(let delay):
                try? await Task.sleep(for: delay)
                return signInPage(request, next: form["next"], error: "That is not the admin token.", status: .unauthorized)
            case .refuse(let retryAfter):
                var response = signInPage(request, next: form["next"],
                                          error: "Too many wrong tokens from this address. Wait \(retryAfter) seconds before trying again.",
                                          status: .tooManyRequests)
                response.headers[.retryAfter] = String(retryAfter)
                return response
            }
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
