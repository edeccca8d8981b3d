import ArgumentParser
import RelayApplication
import RelayStore

/// `webhook-relay requests show`: a request's timeline, as the admin API shows it.
struct Requests: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect requests.", subcommands: [Show.self])

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
}
