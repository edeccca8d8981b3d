import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// The `webhook-relay` binary as an operator runs it: configuration, CLI commands, SIGTERM.
@Suite(.serialized) struct CommandLineTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = packageRoot.appendingPathComponent(".build/debug/webhook-relay").path

    static func run(_ arguments: [String], environment: [String: String]) async throws -> ProcessRun {
        try await runProcess(binary, arguments, environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }, directory: packageRoot)
    }

    static func database() -> String { "sqlite:" + TestRelay.temporaryDatabase() }

    @Test func endpointsAddListRotate() async throws {
        let environment = ["RELAY_DATABASE": Self.database()]
        #expect(try await Self.run(["migrate"], environment: environment).status == 0)
        let added = try await Self.run(["endpoints", "add", "--name", "tg", "--role", "approver", "--url", "http://127.0.0.1:9/approve",
                                  "--header", "Authorization: Bearer x", "--tool", "github_*", "--concurrency", "4"], environment: environment)
        #expect(added.status == 0, "\(added.errors)")
        let endpoint = try #require(JSONValue.parse(Data(added.output.utf8)))
        #expect(endpoint["secret"]?.stringValue?.hasPrefix("whsec_") == true && endpoint["concurrency"] == 4)
        let listed = try await Self.run(["endpoints", "list"], environment: environment)
        #expect(JSONValue.parse(Data(listed.output.utf8))?["items"]?.arrayValue?.first?["name"] == "tg")
        #expect(!listed.output.contains(endpoint["secret"]!.stringValue!))
        let rotated = try await Self.run(["endpoints", "rotate-secret", "tg", "--grace-sec", "60"], environment: environment)
        let after = try #require(JSONValue.parse(Data(rotated.output.utf8)))
        #expect(after["secret"] != endpoint["secret"] && after["previous_secret_expires_at"] != nil)
        let duplicate = try await Self.run(["endpoints", "add", "--name", "tg", "--role", "approver", "--url", "http://x"], environment: environment)
        #expect(duplicate.status != 0 && duplicate.errors.contains("already exists"))
    }

    @Test func deadLetterCommands() async throws {
        let environment = ["RELAY_DATABASE": Self.database()]
        let list = try await Self.run(["dead-letters", "list", "--reason", "exhausted"], environment: environment)
        #expect(list.status == 0 && JSONValue.parse(Data(list.output.utf8))?["items"] == [])
        let dryRun = try await Self.run(["dead-letters", "replay", "--all", "--endpoint", "tg", "--dry-run"], environment: environment)
        #expect(dryRun.status == 0 && dryRun.output.contains("0 dead letter(s) match"))
        let neither = try await Self.run(["dead-letters", "replay"], environment: environment)
        #expect(neither.status != 0 && neither.errors.contains("--all"))
        let badReason = try await Self.run(["dead-letters", "list", "--reason", "bored"], environment: environment)
        #expect(badReason.status != 0 && badReason.errors.contains("reason must be"))
        let missing = try await Self.run(["dead-letters", "replay", "msg_nope"], environment: environment)
        #expect(missing.status != 0 && missing.errors.contains("no message msg_nope"))
    }

    @Test func badConfigurationFailsWithAClearMessage() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("relay.yaml")
        try "retry:\n  base_ms: 100\n  colour: red\n".write(to: file, atomically: true, encoding: .utf8)
        let unknown = try await Self.run(["migrate", "--config", file.path], environment: ["RELAY_DATABASE": Self.database()])
        #expect(unknown.status != 0 && unknown.errors.contains("unknown setting retry.colour"))
        let badEnv = try await Self.run(["migrate"], environment: ["RELAY_DATABASE": Self.database(), "RELAY_RETRY_MAX_ATTEMPTS": "zero"])
        #expect(badEnv.status != 0 && badEnv.errors.contains("RELAY_RETRY_MAX_ATTEMPTS"))
        let sameTokens = try await Self.run(["migrate"], environment: ["RELAY_DATABASE": Self.database(), "RELAY_ADMIN_TOKEN": "the-same-token-0123", "RELAY_SUBMIT_TOKEN": "the-same-token-0123"])
        #expect(sameTokens.status != 0 && sameTokens.errors.contains("must differ"))
        let missing = try await Self.run(["migrate", "--config", "/nonexistent/relay.yaml"], environment: [:])
        #expect(missing.status != 0 && missing.errors.contains("does not exist"))
    }

    /// SIGTERM while a delivery is in flight: it finishes, and the process exits 0.
    @Test func sigtermFinishesInFlightDeliveriesAndExitsZero() async throws {
        let adapter = try await StandInServer.start(CannedAnswer(status: .accepted, delay: .milliseconds(500)))
        let databaseURL = Self.database()
        let relay = try await RelayProcess.start(environment: [
            "RELAY_DATABASE": databaseURL, "RELAY_ADMIN_TOKEN": "sigterm-admin-token", "RELAY_SUBMIT_TOKEN": "sigterm-submit-token", "RELAY_LOG_LEVEL": "warning",
        ])
        let base = relay.baseURL
        _ = try await call(.POST, base + "/api/v1/endpoints", token: "sigterm-admin-token",
                           body: json(["name": "tg", "role": "approver", "url": .string(adapter.url)]))
        let submitted = try await call(.POST, base + "/api/v1/requests", token: "sigterm-submit-token", headers: ["Idempotency-Key": "k"],
                                       body: approvalBody("c-sigterm"))
        #expect(submitted.status == 202)
        try await eventually("the delivery in flight") { adapter.requests.count == 1 }
        #expect(await relay.stop() == 0)  // SIGTERM
        let shown = try await Self.run(["requests", "show", "c-sigterm"], environment: ["RELAY_DATABASE": databaseURL])
        #expect(JSONValue.parse(Data(shown.output.utf8))?["messages"]?.arrayValue?.first?["state"] == "delivered", "\(shown.output)")
        await adapter.stop()
    }
}
