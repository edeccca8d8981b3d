import ArgumentParser
import RelayHTTP
import RelayStore
import RelayHTTP

/// `webhook-relay requests show`: a request's timeline, as the admin API shows it.
struct Requests: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect requests.", subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a request and its timeline.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The request's id or correlation id.") var request: String

        func run() async throws {
            try await withAdmin(options) { _, store in
                guard let timeline = try await store.timeline(idOrCorrelationId: request) else {
                    throw ValidationError("no request with id or correlation_id \(request)")
                }
                printJSON(TimelineDocument(timeline))
            }
        }
    }
}
