import Foundation
import Hummingbird
import Logging
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// `GET /api/v1/dead-letters` (filters, cursor paging) and `POST /api/v1/dead-letters/{id}/replay`.
struct DeadLetterRoutes {
    let dependencies: RelayDependencies
    static let pageLimit = 1...500

    func register(on group: RouterGroup<BasicRequestContext>) {
        group.get("/dead-letters") { request, _ in
            let query = try Self.query(from: request.uri.queryParameters)
            let page = try await dependencies.store.deadLetters(query)
            return JSONResponse.make(status: .ok, DeadLetterPageView(items: page.items.map(DeadLetterView.init), nextCursor: page.nextCursor))
        }
        group.post("/dead-letters/:message/replay") { _, context in
            let id = try context.parameters.require("message")
            let now = dependencies.clock.now()
            do {
                let message = try await dependencies.store.replay(
                    messageId: id, now: now, deadline: now.addingTimeInterval(dependencies.settings.defaultRequestTimeout)
                )
                dependencies.wake.signal()
                context.logger.info("dead letter replayed", metadata: ["message_id": "\(id)"])
                return JSONResponse.make(status: .ok, MessageView(message, attempts: nil))
            } catch StoreError.notFound(let message) {
                throw APIError.notFound(message)
            } catch StoreError.conflict(let message) {
                throw APIError(.conflict, code: "not_dead", message)
            }
        }
    }

    static func query(from parameters: Parameters) throws -> DeadLetterQuery {
        var query = DeadLetterQuery()
        let known: Set<String> = ["endpoint", "kind", "reason", "since", "until", "cursor", "limit"]
        for (name, _) in parameters where !known.contains(String(name)) {
            throw APIError.badRequest("unknown query parameter \(name); use \(known.sorted().joined(separator: ", "))", field: String(name))
        }
        query.endpoint = parameters.get("endpoint")
        if let kind = parameters.get("kind") {
            guard let parsed = RequestKind(rawValue: kind) else { throw APIError.badRequest("kind must be approval or execution", field: "kind") }
            query.kind = parsed
        }
        if let reason = parameters.get("reason") {
            guard let parsed = DeadLetterReason(rawValue: reason) else {
                throw APIError.badRequest("reason must be permanent, exhausted or deadline", field: "reason")
            }
            query.reason = parsed
        }
        for field in ["since", "until"] {
            guard let text = parameters.get(field) else { continue }
            guard let date = APITime.parse(text) else {
                throw APIError.badRequest("\(field) must be an ISO 8601 time or unix seconds", field: field)
            }
            if field == "since" { query.since = date } else { query.until = date }
        }
        if let cursor = parameters.get("cursor") {
            guard Data(base64Encoded: cursor) != nil else { throw APIError.badRequest("cursor is not one this relay issued", field: "cursor") }
            query.cursor = cursor
        }
        if let limit = parameters.get("limit") {
            guard let value = Int(limit), pageLimit.contains(value) else {
                throw APIError.badRequest("limit must be a whole number from 1 to 500", field: "limit")
            }
            query.limit = value
        }
        return query
    }
}
