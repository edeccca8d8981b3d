import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery
import RelayStore

/// The pages: what each shows, read from the store and the admin operations.
extension ConsoleRoutes {
    func overview(_ session: ConsoleSessions.Session) async throws -> Response {
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
            // The pictures are their own requests (SVG images), so that the page embeds no markup it did not escape.
            "chartStamp": Int(now.timeIntervalSince1970) / 60,
            "openCircuits": openCircuits, "hasOpenCircuits": !openCircuits.isEmpty,
        ]
        return renderer.page("overview", data, session: session, sessions: sessions, nav: "overview")
    }

    func endpointsPage(_ request: Request, _ session: ConsoleSessions.Session) async throws -> Response {
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

    func deadLettersPage(_ request: Request, _ session: ConsoleSessions.Session) async throws -> Response {
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
            if let next = page.nextCursor { data["nextPage"] = Self.pageLink("/console/dead-letters", filter: filter, cursor: next) }
        } catch let refusal as RelayError {
            data["error"] = refusal.message
        }
        data["items"] = items
        data["hasItems"] = !items.isEmpty
        let notice = parameters.get("replayed").flatMap(Int.init).map { "Replayed \($0) dead letter(s): they are pending again." }
        return renderer.page("dead-letters", data, session: session, sessions: sessions, nav: "deadLetters", notice: notice)
    }

    /// Step one counts (a dry run) and asks; step two, with `confirm=yes`, replays.
    func bulkReplay(_ form: ConsoleForm, _ session: ConsoleSessions.Session, _ logger: Logger) async throws -> Response {
        let fields = Self.filterFields { form[$0] }
        let filter = try Self.filter(fields)
        let application = dependencies.application
        if form["confirm"] == "yes" {
            let count = try await application.replayDeadLetters(matching: filter, dryRun: false)
            return .redirect(to: "/console/dead-letters?replayed=\(count)")
        }
        let count = try await application.replayDeadLetters(matching: filter, dryRun: true)
        let described = fields.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let data: [String: Any] = [
            "count": count, "canReplay": count > 0, "filter": fields,
            "description": described.isEmpty ? "every dead letter" : described.joined(separator: ", "),
        ]
        return renderer.page("confirm-replay", data, session: session, sessions: sessions, nav: "deadLetters")
    }

    /// A list's filters as given, trimmed, each present (empty when not given): what its form shows back.
    static func filterFields(_ names: [String] = DeadLetterFilter.names, _ value: (String) -> String?) -> [String: String] {
        Dictionary(uniqueKeysWithValues: names.map { ($0, value($0)?.trimmingCharacters(in: .whitespaces) ?? "") })
    }

    static func filter(_ fields: [String: String]) throws -> DeadLetterQuery {
        try DeadLetterFilter.make(endpoint: fields["endpoint"], kind: fields["kind"], reason: fields["reason"],
                                  since: fields["since"], until: fields["until"])
    }

    /// The next page of a list: its filters as given (the empty ones left out) and the cursor.
    static func pageLink(_ path: String, filter: [String: String], cursor: String) -> String {
        var components = URLComponents()
        components.path = path
        components.queryItems = filter.sorted { $0.key < $1.key }.compactMap { $0.value.isEmpty ? nil : URLQueryItem(name: $0.key, value: $0.value) }
            + [URLQueryItem(name: "cursor", value: cursor)]
        return components.string ?? path
    }

    static func options(_ labels: [String: String], order: [String], selected: String?) -> [[String: Any]] {
        order.map { ["value": $0, "label": labels[$0] ?? $0, "selected": $0 == (selected ?? "")] }
    }
}
