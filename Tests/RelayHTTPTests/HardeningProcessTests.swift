import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// SPEC §11 against the real binary: one `serve` per SQLite file, a restart that resumes at once, a dead
/// PostgreSQL instance's leases taken over by heartbeat, files only the relay can read, weak secrets refused.
@Suite(.serialized) struct HardeningProcessTests {
    static var base: [String: String] {
        ["RELAY_ADMIN_TOKEN": TestRelay.adminToken, "RELAY_SUBMIT_TOKEN": TestRelay.submitToken, "RELAY_LOG_LEVEL": "warning",
         "RELAY_POLL_INTERVAL_MS": "100"]
    }

    /// Submits `count` approvals through the binary's API.
    static func submitAll(_ base: String, prefix: String, count: Int, callback: String) async throws {
        for index in 0..<count {
            let answer = try await call(.POST, base + "/api/v1/requests", token: TestRelay.submitToken, headers: ["Idempotency-Key": "\(prefix)-\(index)"],
                                        body: approvalBody("\(prefix)-\(index)", callback: callback))
            #expect(answer.status == 202, "\(answer.text)")
        }
    }

    static func allDelivered(_ base: String, prefix: String, count: Int) async -> Bool {
        for index in 0..<count {
            guard let answer = try? await call(.GET, base + "/api/v1/requests/\(prefix)-\(index)", token: TestRelay.adminToken),
                  answer.json?["messages"]?.arrayValue?.first?["state"] == "delivered" else { return false }
        }
        return true
    }

    @Test func killedMidDeliveryOnSQLiteTheRestartDeliversAtOnceAndOneServeHoldsTheFile() async throws {
        let adapter = try await StandInServer.start()
        let count = 5
        // The first deliveries hang far past the kill; after the restart the adapter answers at once.
        adapter.answer(Array(repeating: CannedAnswer(status: .accepted, delay: .seconds(120)), count: count))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-lock-\(UUID().uuidString)")
        let database = folder.appendingPathComponent("data/relay.sqlite").path
        // A 20 s attempt timeout and the default 30 s margin: a lease would hold these messages for 50 s.
        let environment = Self.base.merging(["RELAY_DATABASE": "sqlite:" + database, "RELAY_DELIVERY_TIMEOUT_MS": "20000"]) { $1 }
        let port = try freePort()
        var relay = try await RelayProcess.start(environment: environment, port: port)
        _ = try await call(.POST, relay.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken,
                           body: json(["name": "tg", "role": "approver", "url": .string(adapter.url + "/approve")]))
        try await Self.submitAll(relay.baseURL, prefix: "kill", count: count, callback: "http://127.0.0.1:9/decisions")
        try await eventually("every delivery in flight") { adapter.requests.count >= count }

        // A second serve on the same file stops at once, naming the file and the holder; the CLI still works.
        let second = try await CommandLineTests.run(["serve"], environment: environment.merging(["RELAY_LISTEN": "127.0.0.1:\(try freePort())"]) { $1 })
        #expect(second.status != 0)
        #expect(second.errors.contains("pid \(relay.process.processIdentifier)") && second.errors.contains(database), "\(second.errors)")
        let list = try await CommandLineTests.run(["endpoints", "list"], environment: environment)
        #expect(list.status == 0 && list.output.contains("tg"), "\(list.errors)")

        // Only the relay can read what it keeps.
        func mode(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1 }
        #expect(mode(folder.appendingPathComponent("data").path) == 0o700)
        for file in [database, database + "-wal", database + "-shm", database + ".lock", folder.appendingPathComponent("data/callback.key").path] {
            #expect(mode(file) == 0o600, "\(file): \(String(mode(file), radix: 8))")
        }

        await relay.kill()
        let restarted = ContinuousClock.now
        relay = try await RelayProcess.start(environment: environment, port: port)
        let restartedURL = relay.baseURL
        try await eventually("every acknowledged message delivered after the restart", timeout: .seconds(40)) {
            await Self.allDelivered(restartedURL, prefix: "kill", count: count)
        }
        let resumedIn = ContinuousClock.now - restarted
        #expect(resumedIn < .seconds(20), "a lease would have taken 50 s; took \(resumedIn)")
        print("SQLite kill -9 mid-delivery: the last in-flight message delivered \(resumedIn) after the restart (lease: 50 s)")
        _ = await relay.stop()
        // The adapter is left running: stopping it would wait out the two-minute answers the killed relay abandoned.
        _ = adapter
    }

    @Test func aDeadPostgresInstancesLeasesAreTakenOverWithinTheInstanceTimeout() async throws {
        guard ProcessInfo.processInfo.environment[TestStores.postgresVariable] != nil else { return }
        let adapter = try await StandInServer.start()
        let count = 4
        adapter.answer(Array(repeating: CannedAnswer(status: .accepted, delay: .seconds(120)), count: count))
        let location = try await TestStores.fresh(.postgres)
        let environment = Self.base.merging([
            "RELAY_DATABASE": location.databaseSetting, "RELAY_DELIVERY_TIMEOUT_MS": "20000", "RELAY_INSTANCE_TIMEOUT_MS": "2000",
            "RELAY_CALLBACK_KEY": Data(TestRelay.callbackKey).base64EncodedString(),
        ]) { $1 }
        // The victim claims everything before the other two start.
        let victim = try await RelayProcess.start(environment: environment)
        _ = try await call(.POST, victim.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken,
                           body: json(["name": "tg", "role": "approver", "url": .string(adapter.url + "/approve")]))
        try await Self.submitAll(victim.baseURL, prefix: "pg-kill", count: count, callback: "http://127.0.0.1:9/decisions")
        try await eventually("every delivery in flight on the victim") { adapter.requests.count >= count }
        let others = [try await RelayProcess.start(environment: environment), try await RelayProcess.start(environment: environment)]
        await victim.kill()
        let killed = ContinuousClock.now
        try await eventually("the survivors deliver the victim's messages", timeout: .seconds(40)) {
            await Self.allDelivered(others[0].baseURL, prefix: "pg-kill", count: count)
        }
        let takenOverIn = ContinuousClock.now - killed
        #expect(takenOverIn < .seconds(20), "instance timeout 2 s, lease 50 s; took \(takenOverIn)")
        print("PostgreSQL instance killed: its leases taken over and delivered \(takenOverIn) after the kill (instance timeout 2 s, lease 50 s)")
        for relay in others { _ = await relay.stop() }
        _ = adapter  // left running, as above
    }

    @Test func weakAndExampleSecretsStopTheStart() async throws {
        let database = CommandLineTests.database()
        let cases: [(environment: [String: String], says: String)] = [
            (["RELAY_ADMIN_TOKEN": "short"], "admin_token (from RELAY_ADMIN_TOKEN) is 5 bytes long"),
            (["RELAY_SUBMIT_TOKEN": "change-me-submit-token"], "example value"),
            (["RELAY_CALLBACK_TOKEN": "change-me-callback-token"], "example value"),
            (["RELAY_CALLBACK_KEY": Data(repeating: 1, count: 16).base64EncodedString()], "at least 32 random bytes"),
            (["RELAY_DATABASE": "postgres://relay:change-me@127.0.0.1:1/relay"], "example password"),
            (["RELAY_CONSOLE_SESSION_HOURS": "720"], "RELAY_CONSOLE_SESSION_HOURS"),
        ]
        for (environment, says) in cases {
            let run = try await CommandLineTests.run(["serve"], environment: ["RELAY_DATABASE": database, "RELAY_LISTEN": "127.0.0.1:\(try freePort())"]
                .merging(environment) { $1 })
            #expect(run.status != 0 && run.errors.contains(says), "\(environment): \(run.errors)")
        }
        // An empty callback.key file is not a zero-byte key.
        let path = TestRelay.temporaryDatabase()
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: folder.appendingPathComponent("callback.key").path, contents: Data()))
        let empty = try await CommandLineTests.run(["serve"], environment: ["RELAY_DATABASE": "sqlite:" + path, "RELAY_LISTEN": "127.0.0.1:\(try freePort())"])
        #expect(empty.status != 0 && empty.errors.contains("callback.key does not hold the base64 of at least 32 bytes"), "\(empty.errors)")
    }
}
