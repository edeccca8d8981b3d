import Foundation
import NIOHTTP1
import RelayCore
import RelayHTTP
import RelayTestSupport
import Testing

/// The console's doors over plain HTTP (the browser test drives the pages): sign-in sets a strict
/// session cookie, a tampered or missing one sends every page to sign-in, forms need the session's CSRF
/// token, and the console can be switched off.
@Suite struct ConsoleTests {
    static let form = ["Content-Type": "application/x-www-form-urlencoded"]

    @Test func signInIssuesAStrictSessionAndTamperedSessionsAreSentBack() async throws {
        let relay = try await TestRelay.start()
        let page = try await call(.GET, relay.baseURL + "/console/sign-in?next=%2Fconsole%2Fendpoints")
        #expect(page.status == 200 && page.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
        let preSession = try #require(page.headers[canonicalForm: "Set-Cookie"].first { $0.hasPrefix("relay_console_signin=") })
        let nonceCookie = String(preSession.split(separator: ";")[0])
        let csrf = try #require(page.text.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
        // Without the sign-in form's token: refused, even with the right admin token.
        let forged = try await call(.POST, relay.baseURL + "/console/sign-in", headers: Self.form.merging(["Cookie": nonceCookie]) { $1 },
                                    bodyText: "token=\(TestRelay.adminToken)&csrf=forged")
        #expect(forged.status == 403)
        let wrong = try await call(.POST, relay.baseURL + "/console/sign-in", headers: Self.form.merging(["Cookie": nonceCookie]) { $1 },
                                   bodyText: "token=nope&csrf=\(csrf)&next=%2Fconsole%2Fendpoints")
        #expect(wrong.status == 401 && wrong.text.contains("not the admin token"))
        let signedIn = try await call(.POST, relay.baseURL + "/console/sign-in", headers: Self.form.merging(["Cookie": nonceCookie]) { $1 },
                                      bodyText: "token=\(TestRelay.adminToken)&csrf=\(csrf)&next=%2Fconsole%2Fendpoints")
        #expect(signedIn.status == 303 && signedIn.headers.first(name: "Location") == "/console/endpoints")
        let session = try #require(signedIn.headers[canonicalForm: "Set-Cookie"].first { $0.hasPrefix("relay_console=") })
        #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/console") && !session.contains("Secure"))
        let cookie = String(session.split(separator: ";")[0])
        #expect(try await call(.GET, relay.baseURL + "/console/endpoints", headers: ["Cookie": cookie]).status == 200)
        // Any change to the cookie breaks its MAC; so does an expiry pushed forward.
        let parts = cookie.dropFirst("relay_console=".count).split(separator: ".")
        for tampered in ["\(Int(parts[0])! + 3600).\(parts[1]).\(parts[2])", "\(parts[0]).x\(parts[1]).\(parts[2])", "\(parts[0]).\(parts[1])"] {
            let answer = try await call(.GET, relay.baseURL + "/console/endpoints", headers: ["Cookie": "relay_console=" + tampered])
            #expect(answer.status == 303 && answer.headers.first(name: "Location")?.hasPrefix("/console/sign-in") == true, "\(tampered)")
        }
        // A form with the session but without its CSRF token: refused, and nothing changes.
        _ = try await registerEndpoint(relay, name: "tg", url: "http://127.0.0.1:9/x")
        let noToken = try await call(.POST, relay.baseURL + "/console/endpoints/tg/disable", headers: Self.form.merging(["Cookie": cookie]) { $1 },
                                     bodyText: "")
        #expect(noToken.status == 403)
        #expect(try await call(.GET, relay.baseURL + "/api/v1/endpoints/tg", token: TestRelay.adminToken).json?["enabled"] == true)
        // An open redirect through `next` is not possible.
        #expect(ConsoleNext.isSafe("/console/requests") && !ConsoleNext.isSafe("//evil.example") && !ConsoleNext.isSafe("https://evil.example"))
        await relay.stop()
    }

    @Test func theConsoleCanBeSwitchedOff() async throws {
        var settings = RelaySettings(adminToken: TestRelay.adminToken, submitToken: TestRelay.submitToken, callbackToken: TestRelay.callbackToken)
        settings.consoleEnabled = false
        let relay = try await TestRelay.start(settings: settings)
        #expect(try await call(.GET, relay.baseURL + "/console/sign-in").status == 404)
        #expect(try await call(.GET, relay.baseURL + "/console").status == 404)
        await relay.stop()
    }
}
