import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery
import RelayStore

/// The admin console under `/console` (issue 7): server-rendered pages over the same operations as the
/// admin API (`RelayApplication`'s endpoint and dead-letter use cases, the store's timeline and dead-letter queries).
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

    func register(on router: Router<RelayRequestContext>) {
        router.get("/console/assets/console.css") { _, _ in ConsoleRenderer.asset(ConsoleAssets.stylesheet, type: "text/css; charset=utf-8") }
        router.get("/console/assets/console.js") { _, _ in ConsoleRenderer.asset(ConsoleAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/console/sign-in") { request, _ in
            signInPage(request, next: request.uri.queryParameters.get("next").map { String($0) }, error: nil, status: .ok)
        }
        router.post("/console/sign-in") { request, context in try await signIn(request, context) }

        router.get("/console") { request, context in try await view(request, context) { _, session in try await overview(session) } }
        router.post("/console/sign-out") { request, context in
            try await action(request, context) { _, session in
                // Clearing the cookie is not enough: a copy of it must stop working too, on every instance.
                try await dependencies.store.revokeConsoleSession(nonce: session.nonce, expiresAt: session.expiresAt, now: clock.now())
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
                    _ = try await dependencies.application.setEndpointEnabled(try context.parameters.require("endpoint"), enabled)
                    context.logger.info("endpoint \(verb)d from the console", metadata: ["endpoint": "\(context.parameters.get("endpoint") ?? "")"])
                    return .redirect(to: "/console/endpoints?done=\(verb)d")
                }
            }
        }
        router.post("/console/endpoints/:endpoint/rotate-secret") { request, context in
            try await action(request, context) { _, session in
                let rotated = try await dependencies.application.rotateSecret(try context.parameters.require("endpoint"))
                context.logger.info("endpoint secret rotated from the console", metadata: ["endpoint": "\(context.parameters.get("endpoint") ?? "")"])
                return renderer.page("secret", ConsoleData.from(rotated), session: session, sessions: sessions, nav: "endpoints")
            }
        }
        router.get("/console/charts/activity.svg") { request, context in
            try await view(request, context) { _, _ in try await chart(ConsoleCharts.activity) }
        }
        router.get("/console/charts/latency.svg") { request, context in
            try await view(request, context) { _, _ in try await chart(ConsoleCharts.latency) }
        }
        router.get("/console/requests") { request, context in
            try await view(request, context) { request, session in
                guard let query = request.uri.queryParameters.get("q")?.trimmingCharacters(in: .whitespaces), !query.isEmpty else {
                    return try await requestsPage(request, session)
                }
                guard let timeline = try await store.timeline(idOrCorrelationId: query) else {
                    return try await requestsPage(request, session, error: "No request has the id or correlation id \(query).", status: .notFound)
                }
                return .redirect(to: "/console/requests/\(Self.pathSegment(timeline.request.id))")
            }
        }
        router.get("/console/requests/:request") { request, context in
            try await view(request, context) { request, session in try await timelinePage(try context.parameters.require("request"), request, session) }
        }
        router.post("/console/requests/:request/cancel") { request, context in
            try await action(request, context) { form, _ in
                let key = try context.parameters.require("request")
                let outcome = try await dependencies.application.cancel(key, reason: form["reason"], by: .admin, actor: "console")
                context.logger.info("request cancelled from the console", metadata: ["request_id": "\(outcome.request?.id ?? key)"])
                return .redirect(to: "/console/requests/\(Self.pathSegment(outcome.request?.id ?? key))?done=cancelled")
            }
        }
        router.get("/console/dead-letters") { request, context in
            try await view(request, context) { request, session in try await deadLettersPage(request, session) }
        }
        router.post("/console/dead-letters/replay") { request, context in
            try await action(request, context) { form, session in try await bulkReplay(form, session, context.logger) }
        }
        router.post("/console/dead-letters/:message/replay") { request, context in
            try await action(request, context) { _, _ in
                let message = try await dependencies.application.replayDeadLetter(try context.parameters.require("message"))
                return .redirect(to: "/console/requests/\(Self.pathSegment(message.requestId))?done=replayed")
            }
        }
    }
}

/// Where sign-in may send the browser afterwards: only a page of the console itself, so that `next`
/// cannot make sign-in an open redirect.
public enum ConsoleNext {
    public static func isSafe(_ next: String) -> Bool {
        next.hasPrefix("/console") && !next.hasPrefix("//") && !next.contains("\\") && !next.hasPrefix("/console/sign-in")
    }
}
