import ArgumentParser
import Foundation
import RelayCore
import RelayApplication
import RelayStore

/// `webhook-relay dead-letters list | replay`: the admin API's dead-letter operations, on the store directly.
struct DeadLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List and replay dead letters.",
        subcommands: [List.self, Replay.self]
    )

    /// The filters shared by list and bulk replay.
    struct Filters: ParsableArguments {
        @Option(help: "Endpoint id or name (forwards: callback or control-plane).") var endpoint: String?
        @Option(help: "approval or execution.") var kind: String?
        @Option(help: "permanent, exhausted or deadline.") var reason: String?
        @Option(help: "Dead since this time (ISO 8601 or unix seconds).") var since: String?
        @Option(help: "Dead before this time (ISO 8601 or unix seconds).") var until: String?

        func query() throws -> DeadLetterQuery {
            do {
                return try DeadLetterFilter.make(endpoint: endpoint, kind: kind, reason: reason, since: since, until: until)
            } catch let error as RelayError {
                throw ValidationError(error.message)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters, newest first (one page).")
        @OptionGroup var options: ConfigOptions
        @OptionGroup var filters: Filters
        @Option(help: "The next_cursor of the previous page.") var cursor: String?
        @Option(help: "Page size, 1 to 500.") var limit = 50

        func run() async throws {
            var query = try filters.query()
            query.cursor = cursor
            query.limit = min(max(limit, 1), 500)
            try await withApplication(options) { application in
                let page = try await application.store.deadLetters(query)
                printJSON(DeadLetterPageView(page))
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay one dead letter by message id, or every one matching the filters (--all)."
        )
        @OptionGroup var options: ConfigOptions
        @OptionGroup var filters: Filters
        @Argument(help: "The dead letter's message id.") var message: String?
        @Flag(help: "Replay every dead letter matching the filters.") var all = false
        @Flag(help: "With --all: only count what would be replayed.") var dryRun = false

        func validate() throws {
            guard (message != nil) != all else { throw ValidationError("give a message id, or --all with filters") }
        }

        func run() async throws {
            try await withApplication(options) { application in
                if let message {
                    let replayed = try await application.replayDeadLetter(message)
                    print("replayed \(replayed.id); a running relay delivers it within its poll interval")
                } else {
                    let count = try await application.replayDeadLetters(matching: try filters.query(), dryRun: dryRun)
                    print(dryRun ? "\(count) dead letter(s) match; nothing replayed (dry run)" : "replayed \(count) dead letter(s)")
                }
            }
        }
    }
}
