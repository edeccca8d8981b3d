import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RelayApplication
import RelayCore
import RelayStore

/// The Requests tab: the list with its filters, a request's page (its content, votes, deliveries, audit entries and
/// cancel button), and the overview's pictures.
extension ConsoleRoutes {
    func requestsPage(_ request: Request, _ session: ConsoleSessions.Session, error: String? = nil,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let parameters = request.uri.queryParameters
        let filter = Self.filterFields(RequestFilter.names) { parameters.get($0) }
        var data: [String: Any] = ["filter": filter, "query": parameters.get("q") ?? ""]
        data["states"] = Self.options(Dictionary(uniqueKeysWithValues: [("", "any state")] + RequestState.allCases.map { ($0.rawValue, $0.rawValue) }),
                                      order: [""] + RequestState.allCases.map(\.rawValue), selected: filter["state"])
        data["kinds"] = Self.options(["": "any kind", "approval": "approval", "execution": "execution"], order: ["", "approval", "execution"],
                                     selected: filter["kind"])
        if let error { data["error"] = error }
        var items: [[String: Any]] = []
        do {
            var query = try RequestFilter.make(state: filter["state"], kind: filter["kind"], endpoint: filter["endpoint"],
                                               since: filter["since"], until: filter["until"])
            query.cursor = try Paging.cursor(parameters.get("cursor"))
            query.limit = 50
            let page = try await dependencies.application.requests(query)
            items = page.items.map { ConsoleData.from(RequestSummaryView($0)) }
            if let next = page.nextCursor { data["nextPage"] = Self.pageLink("/console/requests", filter: filter, cursor: next) }
        } catch let refusal as RelayError {
            data["error"] = refusal.message
        }
        data["items"] = items
        data["hasItems"] = !items.isEmpty
        return renderer.page("requests", data, session: session, sessions: sessions, nav: "requests", status: status)
    }

    func timelinePage(_ key: String, _ request: Request, _ session: ConsoleSessions.Session) async throws -> Response {
        guard let timeline = try await store.timeline(idOrCorrelationId: key) else {
            return try await requestsPage(request, session, error: "No request has the id or correlation id \(key).", status: .notFound)
        }
        var data = ConsoleData.from(TimelineView(timeline))
        let messages = (data["messages"] as? [[String: Any]] ?? []).map { message -> [String: Any] in
            var message = message
            let state = message["state"] as? String
            message["purposeLabel"] = ["forward": "Forward", "notice": "Resolution notice"][message["purpose"] as? String ?? ""] ?? "Delivery"
            message["isDead"] = state == "dead"
            message["isPending"] = state == "pending"
            message["isSuperseded"] = state == "superseded"
            message["hasAttempts"] = !((message["attempts"] as? [Any])?.isEmpty ?? true)
            return message
        }
        data["messages"] = messages
        data["content"] = Self.content(of: timeline.request)
        data["canCancel"] = timeline.request.state == .requested
        data["hasAudit"] = !timeline.audit.isEmpty
        data["hasCallbacks"] = !timeline.callbacks.isEmpty
        let notice = ["replayed": "Dead letter replayed: it is pending again and goes out with its idempotency key.",
                      "cancelled": "Request cancelled: its unsent deliveries are superseded and the cancel is forwarded."][
            request.uri.queryParameters.get("done") ?? ""]
        return renderer.page("timeline", data, session: session, sessions: sessions, nav: "requests", notice: notice)
    }

    /// What the request asks, as an approver would read it: the tool, its arguments, the approver's texts, the
    /// owner-feedback question and its options.
    static func content(of request: RelayRequest) -> [String: Any] {
        let payload = JSONValue.parse(request.payload)?.objectValue ?? [:]
        var content: [String: Any] = [:]
        let tool = payload["tool"]
        content["toolName"] = tool?.stringValue ?? tool?["name"]?.stringValue ?? request.tool
        content["toolTitle"] = tool?["title"]?.stringValue
        var texts: [[String: String]] = []
        for (field, label) in [("justification", "Justification"), ("approval_request", "What is asked"), ("risk_assessment", "Risk")] {
            if let text = payload[field]?.stringValue { texts.append(["label": label, "text": text]) }
        }
        content["texts"] = texts
        let arguments = payload["arguments"]?.objectValue ?? [:]
        if let question = arguments["question"]?.stringValue {
            content["question"] = question
            content["options"] = arguments["options"]?.arrayValue?.compactMap(\.stringValue) ?? []
            content["allowCustom"] = arguments["allow_custom"] == .bool(true)
        }
        if !arguments.isEmpty { content["arguments"] = pretty(.object(arguments)) }
        content["links"] = payload["links_to_code"]?.arrayValue?.compactMap { link -> [String: String]? in
            guard let text = link["text"]?.stringValue, let url = link["url"]?.stringValue else { return nil }
            // Only web links become links; anything else is shown as text.
            return url.hasPrefix("https://") || url.hasPrefix("http://") ? ["text": text, "url": url] : ["text": "\(text) (\(url))"]
        } ?? []
        return content
    }

    static func pretty(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// A picture of the last hour, drawn from the store's per-minute figures.
    func chart(_ draw: (MinuteActivity, Date) -> String) async throws -> Response {
        let now = clock.now()
        let activity = try await store.minuteActivity(since: Date(timeIntervalSince1970: TimeInterval(ConsoleCharts.minutes(endingAt: now)[0] * 60)))
        return Response(status: .ok, headers: [
            .contentType: "image/svg+xml", .cacheControl: "private, max-age=30", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Content-Security-Policy")!: "default-src 'none'",
        ], body: .init(byteBuffer: ByteBuffer(string: draw(activity, now))))
    }
}
