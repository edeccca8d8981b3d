import ArgumentParser
import RelayHTTP
import RelayStore
import Foundation
import RelayCore

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

        func run() async throws {
            var body: [String: JSONValue] = ["name": .string(name), "role": .string(role), "url": .string(url)]
            if !headers.isEmpty {
                var map: [String: JSONValue] = [:]
                for header in headers {
                    guard let colon = header.firstIndex(of: ":") else {
                        throw ValidationError("--header must be Name:Value, got \(header)")
                    }
                    map[String(header[..<colon]).trimmingCharacters(in: .whitespaces)] =
                        .string(String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
                }
                body["headers"] = .object(map)
            }
            if !tools.isEmpty { body["tools"] = .array(tools.map(JSONValue.string)) }
            if let concurrency { body["concurrency"] = .integer(Int64(concurrency)) }
            if let maxAttempts { body["max_attempts"] = .integer(Int64(maxAttempts)) }
            if let timeoutMs { body["timeout_ms"] = .integer(Int64(timeoutMs)) }
            let json = JSONValue.object(body).encoded()
            try await withAdmin(options) { admin, _ in printJSON(try await admin.create(json)) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List endpoints.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await withAdmin(options) { admin, _ in printJSON(try await admin.list()) }
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
            let body = graceSec.map { JSONValue.object(["grace_sec": .integer(Int64($0))]).encoded() } ?? Data()
            try await withAdmin(options) { admin, _ in printJSON(try await admin.rotateSecret(endpoint, body)) }
        }
    }
}
