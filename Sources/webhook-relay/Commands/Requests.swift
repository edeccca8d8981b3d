import ArgumentParser
import Foundation
import RelayApplication
import RelayCore
import RelayStore

/// `webhook-relay requests show | list | cancel`: the admin API's request operations, on the store directly.
struct Requests: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect and cancel requests.", subcommands: [Show.self, List.self, Cancel.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a request and its timeline.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The request's id or correlation id.") var request: String

        func run() async throws {
            try await withApplication(options) { application in
                printJSON(TimelineView(try await application.timeline(request)))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List requests, newest first (one page).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "requested, approved, applied, denied, expired, failed or cancelled.") var state: String?
        @Option(help: "approval or execution.") var kind: String?
        @Option(help: "Requests delivered to this endpoint (id or name).") var endpoint: String?
        @Option(help: "Created since this time (ISO 8601 or unix seconds).") var since: String?
        @Option(help: "Created before this time (ISO 8601 or unix seconds).") var until: String?
        @Option(help: "The next_cursor of the previous page.") var cursor: String?
        @Option(help: "Page size, 1 to 500.") var limit = 50

        func run() async throws {
            try await withApplication(options) { application in
                var query = try RequestFilter.make(state: state, kind: kind, endpoint: endpoint, since: since, until: until)
                query.cursor = try Paging.cursor(cursor)
                query.limit = try Paging.limit(String(limit)) ?? query.limit
                printJSON(RequestPageView(try await application.requests(query)))
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a request still waiting for a decision; forwarded to its callback URL and the control plane as an admin's cancel."
        )
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The request's id or correlation id.") var request: String
        @Option(help: "Why; forwarded with the cancel.") var reason: String?

        func run() async throws {
            try await withApplication(options) { application in
                switch try await application.cancel(request, reason: reason, by: .admin, actor: "cli") {
                case .moved(let cancelled): printJSON(CancelAnswer(cancelled, duplicate: false))
                case .duplicate(let cancelled): printJSON(CancelAnswer(cancelled, duplicate: true))
                default: throw ValidationError("the cancel was refused")
                }
            }
        }
    }
}
