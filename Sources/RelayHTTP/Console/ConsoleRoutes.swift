import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// The admin console under `/console` (issue 7): server-rendered pages over the same operations as the
/// admin API (`EndpointAdmin`, `DeadLetterAdmin`, the store's timeline and dead-letter queries).
struct ConsoleRoutes: Sendable {
    let dependencies: RelayDependencies
    let renderer: ConsoleRenderer
    /// Nil when the relay has no admin token: then nobody can sign in, and the pages say why.
    let sessions: ConsoleSessions?

    init(dependencies: RelayDependencies) throws {
        self.dependencies = dependencies
        renderer = ConsoleRenderer(library: try ConsoleTemplates.library(), secureCookies: dependencies.routing.capability.publicURL.hasPrefix("https://"))
        sessions = dependencies.settings.adminToken.map {
            ConsoleSessions(adminToken: $0, lifetime: TimeInterval(dependencies.settings.consoleSessionHours) * 3600)
        }
    }

    var clock: any RelayClock { dependencies.clock }
    var store: any RelayStore { dependencies.store }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/console/assets/console.css") { _, _ in ConsoleRenderer.asset(ConsoleAssets.stylesheet, type: "text/css; charset=utf-8") }
        router.get("/console/assets/console.js") { _, _ in ConsoleRenderer.asset(ConsoleAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/console/sign-in") { request, _ in
            signInPage(request, next: request.uri.queryParameters.get("next").map { String($0) }, error: nil, status: .ok)
        }
        router.post("/console/sign-in") { request, context in try await signIn(request, context) }

        router.get("/console") { request, context in try await view(request, context) { _, session in try await overview(session) } }
        router.post("/console/sign-out") { request, context in
            try await action(request, context) { _, _ in
                var response = Response.redirect(to: "/console/sign-in")
                renderer.clearCookie(ConsoleSessions.cookieName, on: &response, request: request)
                return response
            }
        }
        router.get("/console/endpoints") { request, context in
            try await view(request, context) { request, session in try await endpointsPage(request, session) }
        }
        for (verb, enabled) in [("enable", true), ("disable", false)] {
            router.post("/console/endpoints/:endpoint/\(verb)") { request, context in
                try await action(request, context) { _, _ in
                    _ = try await EndpointAdmin(dependencies: dependencies).setEnabled(try context.parameters.require("endpoint"), enabled)
                    context.logger.info("endpoint \(verb)d from the console", metadata: ["endpoint": "\(context.parameters.get("endpoint") ?? "")"])
                    return .redirect(to: "/console/endpoints?done=\(verb)d")
                }
            }
        }
        router.post("/console/endpoints/:endpoint/rotate-secret") { request, context in
            try await action(request, context) { _, session in
                let rotated = try await EndpointAdmin(dependencies: dependencies).rotateSecret(try context.parameters.require("endpoint"), Data())
                context.logger.info("endpoint secret rotated from the console", metadata: ["endpoint": "\(context.parameters.get("endpoint") ?? "")"])
                return renderer.page("secret", ConsoleData.from(rotated), session: session, sessions: sessions, nav: "endpoints")
            }
        }
        router.get("/console/requests") { request, context in
            try await view(request, context) { request, session in
                guard let query = request.uri.queryParameters.get("q")?.trimmingCharacters(in: .whitespaces), !query.isEmpty else {
                    return renderer.page("requests", [:], session: session, sessions: sessions, nav: "requests")
                }
                guard let timeline = try await store.timeline(idOrCorrelationId: query) else {
                    return renderer.page("requests", ["query": query, "error": "No request has the id or correlation id \(query)."],
                                         session: session, sessions: sessions, nav: "requests", status: .notFound)
                }
                return .redirect(to: "/console/requests/\(Self.pathSegment(timeline.request.id))")
            }
        }
        router.get("/console/requests/:request") { request, context in
            try await view(request, context) { request, session in try await timelinePage(try context.parameters.require("request"), request, session) }
        }
        router.get("/console/dead-letters") { request, context in
            try await view(request, context) { request, session in try await deadLettersPage(request, session) }
        }
        router.post("/console/dead-letters/replay") { request, context in
            try await action(request, context) { form, session in try await bulkReplay(form, session, context.logger) }
        }
        router.post("/console/dead-letters/:message/replay") { request, context in
            try await action(request, context) { _, _ in
                let message = try await DeadLetterAdmin(dependencies: dependencies)
                    .replay(messageId: try context.parameters.require("message"), logger: context.logger)
                return .redirect(to: "/console/requests/\(Self.pathSegment(message.requestId))?done=replayed")
            }
        }
    }

    // MARK: Access

    /// A page behind the session: without one, to sign-in and back here after.
    private func view(_ request: Request, _ context: BasicRequestContext,
                      _ handler: (Request, ConsoleSessions.Session) async throws -> Response) async throws -> Response {
        guard let sessions else { return renderer.noAdminToken() }
        guard let session = sessions.verify(request.cookies[ConsoleSessions.cookieName]?.value, now: clock.now()) else {
            let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return .redirect(to: "/console/sign-in?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/console"))
        }
        return try await rendered(request, session: session) { try await handler(request, session) }
    }

    /// A form post behind the session and its CSRF token.
    private func action(_ request: Request, _ context: BasicRequestContext,
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
    private func rendered(_ request: Request, session: ConsoleSessions.Session,
                          _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as APIError {
            return renderer.problem(error.status, "That did not work", error.message, session: session, sessions: sessions)
        } catch StoreError.unavailable(let message) {
            return renderer.problem(.serviceUnavailable, "The database cannot be reached", message, session: session, sessions: sessions)
        }
    }

    private func signInPage(_ request: Request, next: String?, error: String?, status: HTTPResponse.Status) -> Response {
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

    private func signIn(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
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

    // MARK: Pages

    private func overview(_ session: ConsoleSessions.Session) async throws -> Response {
        let now = clock.now()
        async let counts = store.outboxCounts()
        async let activity = store.activity(since: now.addingTimeInterval(-3600))
        async let endpoints = store.endpoints()
        let (outbox, hour, registered) = try await (counts, activity, endpoints)
        let openCircuits = registered.filter { CircuitBreaker.state(nextProbeAt: $0.nextProbeAt, now: now) != .closed }
            .map { ConsoleData.from(EndpointView($0, now: now)) }
        let data: [String: Any] = [
            "requestStates": RequestState.allCases.map { ["name": $0.rawValue, "count": hour.requestsByState[$0.rawValue] ?? 0] },
            "outbox": MessageState.allCases.map { ["name": $0.rawValue, "count": outbox.byState[$0] ?? 0] },
            "deadLetters": outbox.byState[.dead] ?? 0,
            "hour": ["delivered": hour.delivered, "failed": hour.failed],
            "openCircuits": openCircuits, "hasOpenCircuits": !openCircuits.isEmpty,
        ]
        return renderer.page("overview", data, session: session, sessions: sessions, nav: "overview")
    }

    private func endpointsPage(_ request: Request, _ session: ConsoleSessions.Session) async throws -> Response {
        let now = clock.now()
        async let endpoints = store.endpoints()
        async let activity = store.activity(since: now.addingTimeInterval(-86400))
        let (registered, day) = try await (endpoints, activity)
        let items: [[String: Any]] = registered.map { endpoint in
            var item = ConsoleData.from(EndpointView(endpoint, now: now))
            let recent = day.endpoints[endpoint.name] ?? EndpointActivity()
            item["delivered"] = recent.delivered
            item["failed"] = recent.failed
            item["successRate"] = ConsoleData.percent(recent.successRate)
            item["lastError"] = recent.lastError
            item["lastErrorAt"] = ConsoleData.iso(recent.lastErrorAt)
            item["failingInARow"] = endpoint.consecutiveFailures > 0 ? endpoint.consecutiveFailures : nil
            let circuit = CircuitBreaker.state(nextProbeAt: endpoint.nextProbeAt, now: now)
            item["circuitClass"] = circuit == .closed ? "good" : (circuit == .open ? "bad" : "warn")
            return item
        }
        let notice = ["enabled": "Endpoint enabled: its waiting messages are delivered again.",
                      "disabled": "Endpoint disabled: its messages wait, stored, until it is enabled."][request.uri.queryParameters.get("done") ?? ""]
        return renderer.page("endpoints", ["items": items, "hasItems": !items.isEmpty], session: session, sessions: sessions,
                             nav: "endpoints", notice: notice)
    }

    private func timelinePage(_ key: String, _ request: Request, _ session: ConsoleSessions.Session) async throws -> Response {
        guard let timeline = try await store.timeline(idOrCorrelationId: key) else {
            return renderer.page("requests", ["query": key, "error": "No request has the id or correlation id \(key)."],
                                 session: session, sessions: sessions, nav: "requests", status: .notFound)
        }
        var data = ConsoleData.from(TimelineView(timeline))
        let messages = (data["messages"] as? [[String: Any]] ?? []).map { message -> [String: Any] in
            var message = message
            let state = message["state"] as? String
            message["purposeLabel"] = message["purpose"] as? String == "forward" ? "Forward" : "Delivery"
            message["isDead"] = state == "dead"
            message["isPending"] = state == "pending"
            message["hasAttempts"] = !((message["attempts"] as? [Any])?.isEmpty ?? true)
            return message
        }
        data["messages"] = messages
        let notice = request.uri.queryParameters.get("done") == "replayed"
            ? "Dead letter replayed: it is pending again and goes out with its idempotency key." : nil
        return renderer.page("timeline", data, session: session, sessions: sessions, nav: "requests", notice: notice)
    }

    private func deadLettersPage(_ request: Request, _ session: ConsoleSessions.Session) async throws -> Response {
        let parameters = request.uri.queryParameters
        let filter = Self.filterFields { parameters.get($0) }
        var data: [String: Any] = ["filter": filter]
        data["kinds"] = Self.options(["": "any kind", "approval": "approval", "execution": "execution"], order: ["", "approval", "execution"], selected: filter["kind"])
        data["reasons"] = Self.options(["": "any reason", "permanent": "permanent answer", "exhausted": "attempts exhausted", "deadline": "deadline passed"],
                                       order: ["", "permanent", "exhausted", "deadline"], selected: filter["reason"])
        var items: [[String: Any]] = []
        do {
            var query = try Self.filter(filter)
            if let cursor = parameters.get("cursor"), DeadLetterCursor(cursor) != nil { query.cursor = cursor }
            query.limit = 50
            let page = try await store.deadLetters(query)
            items = page.items.map { ConsoleData.from(DeadLetterView($0)) }
            if let next = page.nextCursor {
                var components = URLComponents()
                components.path = "/console/dead-letters"
                components.queryItems = filter.compactMap { $0.value.isEmpty ? nil : URLQueryItem(name: $0.key, value: $0.value) }
                    + [URLQueryItem(name: "cursor", value: next)]
                data["nextPage"] = components.string
            }
        } catch let error as APIError {
            data["error"] = error.message
        }
        data["items"] = items
        data["hasItems"] = !items.isEmpty
        let notice = parameters.get("replayed").flatMap(Int.init).map { "Replayed \($0) dead letter(s): they are pending again." }
        return renderer.page("dead-letters", data, session: session, sessions: sessions, nav: "deadLetters", notice: notice)
    }

    /// Step one counts (a dry run) and asks; step two, with `confirm=yes`, replays.
    private func bulkReplay(_ form: ConsoleForm, _ session: ConsoleSessions.Session, _ logger: Logger) async throws -> Response {
        let fields = Self.filterFields { form[$0] }
        let filter = try Self.filter(fields)
        let admin = DeadLetterAdmin(dependencies: dependencies)
        if form["confirm"] == "yes" {
            let count = try await admin.replay(matching: filter, dryRun: false, logger: logger)
            return .redirect(to: "/console/dead-letters?replayed=\(count)")
        }
        let count = try await admin.replay(matching: filter, dryRun: true, logger: logger)
        let described = fields.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let data: [String: Any] = [
            "count": count, "canReplay": count > 0, "filter": fields,
            "description": described.isEmpty ? "every dead letter" : described.joined(separator: ", "),
        ]
        return renderer.page("confirm-replay", data, session: session, sessions: sessions, nav: "deadLetters")
    }

    static let filterNames = ["endpoint", "kind", "reason", "since", "until"]

    static func filterFields(_ value: (String) -> String?) -> [String: String] {
        Dictionary(uniqueKeysWithValues: filterNames.map { ($0, value($0)?.trimmingCharacters(in: .whitespaces) ?? "") })
    }

    static func filter(_ fields: [String: String]) throws -> DeadLetterQuery {
        try DeadLetterFilter.make(endpoint: fields["endpoint"], kind: fields["kind"], reason: fields["reason"],
                                  since: fields["since"], until: fields["until"])
    }

    static func options(_ labels: [String: String], order: [String], selected: String?) -> [[String: Any]] {
        order.map { ["value": $0, "label": labels[$0] ?? $0, "selected": $0 == (selected ?? "")] }
    }
}

/// Where sign-in may send the browser afterwards: only a page of the console itself, so that `next`
/// cannot make sign-in an open redirect.
public enum ConsoleNext {
    public static func isSafe(_ next: String) -> Bool {
        next.hasPrefix("/console") && !next.hasPrefix("//") && !next.contains("\\") && !next.hasPrefix("/console/sign-in")
    }
}
