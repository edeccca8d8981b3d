import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RelayApplication
import RelayCore
import RelayStore

/// `GET /api/v1/audit?since=&until=&after=`: the audit trail (SPEC §12) as NDJSON, one entry per line in chain order,
/// streamed page by page so that a long trail needs no memory; `after` resumes after an entry's `seq`.
struct AuditRoutes {
    let dependencies: RelayDependencies
    static let pageSize = 500

    func register(on group: RouterGroup<RelayRequestContext>) {
        group.get("/audit") { request, _ in
            let parameters = request.uri.queryParameters
            try parameters.requireKnown(["since", "until", "after"])
            let (since, until) = (try APITime.filter(parameters.get("since"), field: "since"), try APITime.filter(parameters.get("until"), field: "until"))
            var after: Int64 = 0
            if let text = parameters.get("after"), !text.isEmpty {
                guard let seq = Int64(text), seq >= 0 else { throw APIError.badRequest("after must be an entry's seq (a whole number)", field: "after") }
                after = seq
            }
            let application = dependencies.application
            // The first page before the answer starts: a store that is away is still a 503, not a cut-off stream.
            let first = try await application.auditEntries(since: since, until: until, after: after, limit: Self.pageSize)
            let body = ResponseBody { writer in
                var page = first
                while true {
                    var buffer = ByteBuffer()
                    for entry in page {
                        buffer.writeBytes(APIJSON.encode(AuditEntryView(entry)))
                        buffer.writeString("\n")
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                    guard page.count == Self.pageSize, let last = page.last else { break }
                    page = try await application.auditEntries(since: since, until: until, after: last.seq, limit: Self.pageSize)
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-store"], body: body)
        }
    }
}
