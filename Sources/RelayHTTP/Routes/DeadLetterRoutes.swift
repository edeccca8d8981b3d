import Foundation
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery
import RelayStore

/// `GET /api/v1/dead-letters` (filters, cursor paging) and `POST /api/v1/dead-letters/{id}/replay`.
struct DeadLetterRoutes {
    let dependencies: RelayDependencies

    func register(on group: RouterGroup<RelayRequestContext>) {
        let application = dependencies.application
        group.get("/dead-letters") { request, _ in
            let query = try Self.query(from: request.uri.queryParameters)
            let page = try await application.store.deadLetters(query)
            return JSONResponse.make(status: .ok, DeadLetterPageView(page))
        }
        group.post("/dead-letters/replay") { request, context in
            let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
            var reader = try FieldReader(body.isEmpty ? Data("{}".utf8) : body)
            let filter = try DeadLetterFilter.make(
                endpoint: try reader.string("endpoint"), kind: try reader.string("kind"), reason: try reader.string("reason"),
                since: try reader.string("since"), until: try reader.string("until")
            )
            let dryRun = try reader.bool("dry_run") ?? false
            try reader.rejectUnknown()
            let count = try await application.replayDeadLetters(matching: filter, dryRun: dryRun)
            return JSONResponse.make(status: .ok, BulkReplayAnswer(dryRun: dryRun, count: count))
        }
        group.post("/dead-letters/:message/replay") { _, context in
            let message = try await application.replayDeadLetter(try context.parameters.require("message"))
            return JSONResponse.make(status: .ok, MessageView(message, attempts: nil))
        }
    }

    struct BulkReplayAnswer: Encodable {
        var dryRun: Bool
        /// Dead letters matched (dry run) or replayed.
        var count: Int
    }

    static func query(from parameters: Parameters) throws -> DeadLetterQuery {
        try parameters.requireKnown(DeadLetterFilter.names + ["cursor", "limit"])
        var query = try DeadLetterFilter.make(
            endpoint: parameters.get("endpoint"), kind: parameters.get("kind"), reason: parameters.get("reason"),
            since: parameters.get("since"), until: parameters.get("until")
        )
        query.cursor = try Paging.cursor(parameters.get("cursor"))
        query.limit = try Paging.limit(parameters.get("limit")) ?? query.limit
        return query
    }
}
