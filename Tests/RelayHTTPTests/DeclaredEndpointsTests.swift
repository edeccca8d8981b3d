
import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// SPEC §15 through the binary: endpoints declared in the config file are created at start with their
/// secrets read by reference, are read-only through the API, and are reconciled by name on every start.
@Suite(.serialized) struct DeclaredEndpointsTests {
    static let secret = "whsec_" + Data(repeating: 9, count: 32).base64EncodedString()
    static let environment = [
        "RELAY_ADMIN_TOKEN": TestRelay.adminToken, "RELAY_SUBMIT_TOKEN": TestRelay.submitToken,
        "TG_SECRET": secret, "TG_AUTH": "Bearer from-the-environment",
    ]

    static func writeConfig(_ text: String, in folder: URL) throws -> String {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("relay.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func declaredEndpointsAreCreatedReadOnlyAndReconciledOnEveryStart() async throws {
        let adapter = try await StandInServer.start()
        defer { Task { await adapter.stop() } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-declared-\(UUID().uuidString)")
        let config = try Self.writeConfig("""
            endpoints:
              - name: tg
                role: approver
                url: \(adapter.url)/approve
                secret_env: TG_SECRET
                headers: {Authorization: {env: TG_AUTH}}
                tools: ["deploy_*"]
                concurrency: 3
              - name: slack
                role: approver
                url: \(adapter.url)/slack
                tools: ["other"]
            """, in: folder)
        var relay = try await RelayProcess.start(environment: Self.environment, arguments: ["--config", config], folder: folder)
        let listed = try await call(.GET, relay.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken)
        let items = try #require(listed.json?["items"]?.arrayValue)
        #expect(items.map { $0["name"] } == ["slack", "tg"])
        #expect(items.allSatisfy { $0["declared_in"]?.stringValue == config }, "\(listed.text)")
        #expect(items.first { $0["name"] == "tg" }?["concurrency"] == 3)

        // Read-only through the API: every change is refused, naming the file.
        for (method, path, body) in [(HTTPMethod.PATCH, "/api/v1/endpoints/tg", json(["concurrency": 4])),
                                     (.DELETE, "/api/v1/endpoints/tg", nil), (.POST, "/api/v1/endpoints/tg/disable", nil),
                                     (.POST, "/api/v1/endpoints/tg/rotate-secret", nil)] {
            let refused = try await call(method, relay.baseURL + path, token: TestRelay.adminToken, body: body)
            #expect(refused.status == 409 && refused.json?["code"] == "endpoint_declared", "\(method) \(path): \(refused.text)")
            #expect(refused.text.contains(config))
        }

        // A delivery is signed with the declared secret and carries the header read from the environment.
        let submitted = try await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                       headers: ["Idempotency-Key": "k-1"], body: approvalBody("decl-1", extra: ["tool": "deploy_prod"]))
        #expect(submitted.status == 202, "\(submitted.text)")
        try await eventually("delivered to tg") { adapter.requests.contains { $0.path == "/approve" } }
        let delivery = try #require(adapter.requests.first { $0.path == "/approve" })
        #expect(delivery.header("Authorization") == "Bearer from-the-environment")
        let id = try #require(delivery.header("webhook-id")), timestamp = try #require(delivery.header("webhook-timestamp"))
        let expected = WebhookSigner.signature(id: id, timestamp: Int(timestamp)!, body: delivery.body, secrets: [WebhookSecret(Self.secret)!])
        #expect(delivery.header("webhook-signature") == expected)
        #expect(await relay.stop() == 0)

        // The file changes: tg's settings, slack no longer declared (handed back to the API).
        _ = try Self.writeConfig("""
            endpoints:
              - name: tg
                role: approver
                url: \(adapter.url)/approve-v2
                secret_env: TG_SECRET
                concurrency: 5
            """, in: folder)
        relay = try await RelayProcess.start(environment: Self.environment, arguments: ["--config", config], folder: folder)
        let tg = try await call(.GET, relay.baseURL + "/api/v1/endpoints/tg", token: TestRelay.adminToken)
        #expect(tg.json?["url"]?.stringValue == adapter.url + "/approve-v2" && tg.json?["concurrency"] == 5)
        #expect(tg.json?["tools"] == [] && tg.json?["headers"] == [:], "a setting the file leaves out is the default: \(tg.text)")
        let slack = try await call(.GET, relay.baseURL + "/api/v1/endpoints/slack", token: TestRelay.adminToken)
        #expect(slack.json?["declared_in"] == nil && slack.json?["enabled"] == true, "\(slack.text)")
        let patched = try await call(.PATCH, relay.baseURL + "/api/v1/endpoints/slack", token: TestRelay.adminToken, body: json(["concurrency": 2]))
        #expect(patched.status == 200, "released to the API: \(patched.text)")
        #expect(await relay.stop() == 0)

        // With endpoints_prune, an endpoint the file no longer declares is disabled.
        _ = try Self.writeConfig("endpoints_prune: true\nendpoints: []\n", in: folder)
        relay = try await RelayProcess.start(environment: Self.environment, arguments: ["--config", config], folder: folder)
        let pruned = try await call(.GET, relay.baseURL + "/api/v1/endpoints/tg", token: TestRelay.adminToken)
        #expect(pruned.json?["enabled"] == false && pruned.json?["disabled_reason"]?.stringValue?.contains(config) == true, "\(pruned.text)")
        #expect(await relay.stop() == 0)
    }

    /// A bad entry, a missing reference or a misspelt key stops the start with a message naming it and its file.
    @Test(arguments: [
        ("endpoints:\n  - {name: tg, role: approver, url: \"http://127.0.0.1:9/a\", secret_env: NOT_SET}\n", "NOT_SET"),
        ("endpoints:\n  - {name: tg, role: approver, url: \"http://127.0.0.1:9/a\", concurrency: 0}\n", "endpoints[0] (tg): concurrency"),
        ("endpoints:\n  - {name: tg, role: boss, url: \"http://127.0.0.1:9/a\"}\n", "role must be approver or executor"),
        ("endpoints:\n  - {name: tg, role: approver, url: \"http://127.0.0.1:9/a\", colour: blue}\n", "unknown field colour"),
        ("endpoints:\n  - {name: tg, role: approver, url: \"http://127.0.0.1:9/a\"}\n  - {name: tg, role: approver, url: \"http://127.0.0.1:9/b\"}\n", "declared twice"),
        ("retry:\n  max_attempt: 3\n", "unknown setting retry.max_attempt"),
        ("retry:\n  max_attempts: 1000\n", "retry.max_attempts (from"),
    ])
    func aBadDeclarationStopsTheStartNamingIt(_ text: String, _ expected: String) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-declared-\(UUID().uuidString)")
        let config = try Self.writeConfig(text, in: folder)
        let run = try await CommandLineTests.run(["serve", "--config", config],
                                                 environment: ["RELAY_DATABASE": "sqlite:" + folder.appendingPathComponent("r.sqlite").path])
        #expect(run.status != 0)
        #expect(run.errors.contains(expected) && run.errors.contains(config), "\(run.errors)")
    }

    /// The environment still wins over the file, under each setting's documented name, and a bad value names its variable.
    @Test func theEnvironmentOverridesTheFileUnderItsDocumentedName() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-declared-\(UUID().uuidString)")
        let config = try Self.writeConfig("retry:\n  delivery_timeout_ms: 5000\n", in: folder)
        let database = "sqlite:" + folder.appendingPathComponent("r.sqlite").path
        let bad = try await CommandLineTests.run(["serve", "--config", config],
                                                 environment: ["RELAY_DATABASE": database, "RELAY_DELIVERY_TIMEOUT_MS": "fast"])
        #expect(bad.status != 0 && bad.errors.contains("retry.delivery_timeout_ms (from RELAY_DELIVERY_TIMEOUT_MS)"), "\(bad.errors)")
        let fromFile = try await CommandLineTests.run(["serve", "--config", config],
                                                      environment: ["RELAY_DATABASE": database, "RELAY_RETRY_MAX_ATTEMPTS": "0"])
        #expect(fromFile.errors.contains("retry.max_attempts (from RELAY_RETRY_MAX_ATTEMPTS) must be a whole number from 1 to 100"), "\(fromFile.errors)")
        let badFile = try Self.writeConfig("retry:\n  delivery_timeout_ms: 5\n", in: folder)
        let fileRun = try await CommandLineTests.run(["serve", "--config", badFile], environment: ["RELAY_DATABASE": database])
        #expect(fileRun.errors.contains("retry.delivery_timeout_ms (from \(badFile) (retry.delivery_timeout_ms))"), "\(fileRun.errors)")
    }
}
