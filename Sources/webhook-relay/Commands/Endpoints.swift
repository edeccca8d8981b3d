import ArgumentParser
import Foundation
import RelayApplication
import RelayCore
import RelayStore

/// `webhook-relay endpoints …`: the admin API's endpoint operations, on the store directly.
struct Endpoints: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register and manage approver / executor endpoints.",
        subcommands: [Add.self, List.self, RotateSecret.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an endpoint; prints its secret once.")

        @OptionGroup var options: ConfigOptions
        @Option(help: "A unique name (letters, digits, '-', '_', '.').") var name: String
        @Option(help: "approver or executor.") var role: String
        @Option(help: "The adapter's URL, e.g. http://telegram-approver:8080/approve.") var url: String
        @Option(name: .customLong("header"), help: "A static header sent on every delivery, as Name:Value (repeatable).")
        var headers: [String] = []
        @Option(name: .customLong("tool"), help: "A tool-name pattern this endpoint serves; '*' matches any run (repeatable).")
        var tools: [String] = []
        @Option(help: "Deliveries in flight at once.") var concurrency: Int?
        @Option(help: "Attempts before a message is dead-lettered.") var maxAttempts: Int?
        @Option(help: "Per-attempt timeout in milliseconds.") var timeoutMs: Int?
        @Option(help: "Where a signed request.resolved notice goes when a request this endpoint was shown is resolved elsewhere.")
        var resolutionUrl: String?

        func run() async throws {
            guard let parsedRole = EndpointRole(rawValue: role) else { throw ValidationError("--role must be approver or executor") }
            var map: [String: String] = [:]
            for header in headers {
                guard let colon = header.firstIndex(of: ":") else {
                    throw ValidationError("--header must be Name:Value, got \(header)")
                }
                map[String(header[..<colon]).trimmingCharacters(in: .whitespaces)] =
                    String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            }
            let changes = EndpointChanges(name: name, role: parsedRole, url: url, headers: map, tools: tools,
                                          maxAttempts: maxAttempts.map { .some($0) }, timeoutMs: timeoutMs.map { .some($0) },
                                          concurrency: concurrency, resolutionURL: resolutionUrl.map { .some($0) })
            try await withApplication(options) { application in printJSON(try await application.createEndpoint(changes)) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List endpoints.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await withApplication(options) { application in printJSON(EndpointList(items: try await application.endpoints())) }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Give an endpoint a new secret; the old one keeps signing for the grace period."
        )
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The endpoint's id or name.") var endpoint: String
        @Option(help: "Seconds the old secret keeps signing (default: secret_rotation_grace_sec).") var graceSec: Int?

        func run() async throws {
            try await withApplication(options) { application in
                printJSON(try await application.rotateSecret(endpoint, grace: graceSec.map(TimeInterval.init)))
            }
        }
    }
}
