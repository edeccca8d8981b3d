import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Synchronization
import Testing

/// SPEC §17: `webhook-relay backup` copies the SQLite store consistently while `serve` runs under load, and
/// `webhook-relay restore` puts it back into a stopped relay, which then has every request accepted before the
/// backup and delivers what was pending in it under the same message ids.
@Suite(.serialized) struct BackupTests {
    static var environment: [String: String] {
        ["RELAY_ADMIN_TOKEN": TestRelay.adminToken, "RELAY_SUBMIT_TOKEN": TestRelay.submitToken, "RELAY_LOG_LEVEL": "warning",
         "RELAY_ENDPOINT_CONCURRENCY": "2", "RELAY_POLL_INTERVAL_MS": "100"]
    }

    static func folder(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return folder
    }

    @Test func aBackupUnderLoadRestoresEveryAcceptedRequestAndDeliversWhatWasPending() async throws {
        // A slow adapter: deliveries queue up behind its two slots, so the backup catches some pending and some in flight.
        let adapter = try await StandInServer.start(CannedAnswer(status: .accepted, body: #"{"decision":"pending"}"#, delay: .milliseconds(150)))
        let (first, second) = (try Self.folder("backup-a"), try Self.folder("backup-b"))
        let relayA = try await RelayProcess.start(environment: Self.environment, folder: first)
        _ = try await call(.POST, relayA.baseURL + "/api/v1/endpoints", token: TestRelay.adminToken,
                           body: json(["name": "slow", "role": "approver", "url": .string(adapter.url + "/approve")]))
        let load = SubmitLoad(relayA)
        // Load for a count, not a time: on a busy machine a second held a single submit.
        try await eventually("the load under way before the backup", timeout: .seconds(60)) { load.acceptedSoFar > 10 }
        let backup = first.appendingPathComponent("copy/relay-backup.sqlite").path
        try FileManager.default.createDirectory(atPath: (backup as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let started = ContinuousClock.now
        let written = try await CommandLineTests.run(["backup", backup],
                                                     environment: ["RELAY_DATABASE": "sqlite:" + first.appendingPathComponent("relay.sqlite").path])
        #expect(written.status == 0 && written.output.contains("backed up to"), "\(written.output) \(written.errors)")
        try await Task.sleep(for: .milliseconds(500))
        let before = await load.stop(acceptedBefore: started)
        #expect(await relayA.stop() == 0)
        #expect(before.count > 5, "the load ran before the backup (\(before.count))")
        let mode = try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int
        #expect(mode == 0o600 && FileManager.default.fileExists(atPath: backup + ".key"))
        #expect(try await CommandLineTests.run(["backup", backup], environment: ["RELAY_DATABASE": "sqlite:" + first.appendingPathComponent("relay.sqlite").path])
            .errors.contains("exists already"), "a backup never overwrites a file")

        // What the copy holds still to deliver, read with SQLite itself.
        let pending = try await runPython("""
            import sqlite3, sys
            for (id,) in sqlite3.connect(sys.argv[1]).execute("SELECT id FROM messages WHERE state IN ('pending', 'inflight')"): print(id)
            """, arguments: [backup]).output.split(separator: "\n").map(String.init)
        #expect(!pending.isEmpty, "the backup caught deliveries still to make")

        let target = ["RELAY_DATABASE": "sqlite:" + second.appendingPathComponent("relay.sqlite").path]
        let restored = try await CommandLineTests.run(["restore", backup], environment: target)
        #expect(restored.status == 0 && restored.output.contains("callback key restored"), "\(restored.output) \(restored.errors)")
        let relayB = try await RelayProcess.start(environment: Self.environment, folder: second)
        // A restore beside a running relay is refused, naming it.
        let beside = try await CommandLineTests.run(["restore", backup], environment: target)
        #expect(beside.status != 0 && beside.errors.contains("another webhook-relay serve"), "\(beside.errors)")

        @Sendable func delivered() -> Set<String> { Set(adapter.requests.compactMap { $0.header("webhook-id") }) }
        try await eventually("everything pending in the backup delivered by the restored relay, under its id", timeout: .seconds(60)) {
            Set(pending).isSubset(of: delivered())
        }
        for id in before {
            #expect(try await call(.GET, relayB.baseURL + "/api/v1/requests/\(id)", token: TestRelay.adminToken).status == 200, "\(id)")
        }
        // The key came back with the copy: a callback URL the first relay handed out works on the restored one.
        let handedOut = try #require(adapter.requests.first.flatMap { JSONValue.parse($0.body)?["callback"]?["url"]?.stringValue })
        let answer = try await call(.POST, handedOut.replacingOccurrences(of: relayA.baseURL, with: relayB.baseURL),
                                    body: json(["decision": "approve", "reason": "after the restore"]))
        #expect([200, 409].contains(answer.status), "\(answer.text)")
        print("backup under load: \(before.count) requests accepted before it, \(pending.count) messages pending in it, all there after the restore")
        #expect(await relayB.stop() == 0)
        await adapter.stop()
    }

    @Test func restoreRefusesWhatItCannotRun() async throws {
        let folder = try Self.folder("restore-bad")
        let target = ["RELAY_DATABASE": "sqlite:" + folder.appendingPathComponent("relay.sqlite").path]
        let junk = folder.appendingPathComponent("junk.sqlite").path
        try Data("not a database at all, just text".utf8).write(to: URL(fileURLWithPath: junk))
        let notSQLite = try await CommandLineTests.run(["restore", junk], environment: target)
        #expect(notSQLite.status != 0 && notSQLite.errors.contains("not"), "\(notSQLite.errors)")
        let missing = try await CommandLineTests.run(["restore", folder.appendingPathComponent("none").path], environment: target)
        #expect(missing.status != 0 && missing.errors.contains("there is no file"), "\(missing.errors)")

        // A backup of a newer release: it records a version this one does not know.
        let newer = folder.appendingPathComponent("newer.sqlite").path
        #expect(try await CommandLineTests.run(["migrate"], environment: ["RELAY_DATABASE": "sqlite:" + newer]).status == 0)
        _ = try await runPython("import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\ndb.execute(\"INSERT INTO grdb_migrations VALUES ('v99-future')\")\ndb.commit()",
                                arguments: [newer])
        let future = try await CommandLineTests.run(["restore", newer], environment: target)
        #expect(future.status != 0 && future.errors.contains("v99-future"), "\(future.errors)")
        let untouched = folder.appendingPathComponent("relay.sqlite").path
        let size = (try? FileManager.default.attributesOfItem(atPath: untouched)[.size] as? Int) ?? 0
        #expect(size == 0, "nothing restored")

        // Over an existing database: it is kept aside, never deleted.
        let good = folder.appendingPathComponent("good.sqlite").path
        #expect(try await CommandLineTests.run(["migrate"], environment: ["RELAY_DATABASE": "sqlite:" + good]).status == 0)
        #expect(try await CommandLineTests.run(["migrate"], environment: target).status == 0)
        let over = try await CommandLineTests.run(["restore", good], environment: target)
        #expect(over.status == 0 && over.output.contains("is kept as"), "\(over.output) \(over.errors)")
    }

    /// The README's PostgreSQL procedure as an operator runs it: `pg_dump` while two instances take submits and make
    /// deliveries, `pg_restore` into an empty database, and a relay started on it has every request accepted before the
    /// dump and delivers what the dump held pending under the same message ids.
    @Test func thePostgreSQLProcedureUnderLoad() async throws {
        guard case .postgres(let live) = try await TestStores.fresh(.postgres), case .postgres(let empty) = try await TestStores.fresh(.postgres) else { return }
        let tools = try #require(try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }.last.map { "/usr/lib/postgresql/\($0)/bin" })
        let adapter = try await StandInServer.start(CannedAnswer(status: .accepted, body: #"{"decision":"pending"}"#, delay: .milliseconds(150)))
        let environment = Self.environment.merging([
            "RELAY_DATABASE": live, "RELAY_CALLBACK_KEY": Data(TestRelay.callbackKey).base64EncodedString(),
        ]) { $1 }
        let instances = [try await RelayProcess.start(environment: environment), try await RelayProcess.start(environment: environment)]
        _ = try await call(.POST, instances[0].baseURL + "/api/v1/endpoints", token: TestRelay.adminToken,
                           body: json(["name": "slow", "role": "approver", "url": .string(adapter.url + "/approve")]))
        let loads = instances.map { SubmitLoad($0, prefix: "pg-\($0.port)-") }
        try await eventually("the load under way before the dump", timeout: .seconds(60)) { loads.map(\.acceptedSoFar).reduce(0, +) > 10 }

        let dump = try Self.folder("pg-dump").appendingPathComponent("relay.dump").path
        let started = ContinuousClock.now
        let dumped = try await runProcess(tools + "/pg_dump", ["--format=custom", "--no-owner", "--file=\(dump)", live], environment: [:])
        #expect(dumped.status == 0, "\(dumped.errors)")
        try await Task.sleep(for: .milliseconds(500))
        var before: [String] = []
        for load in loads { before += await load.stop(acceptedBefore: started) }
        for instance in instances { #expect(await instance.stop() == 0) }
        #expect(before.count > 5, "the load ran before the dump (\(before.count))")

        let restored = try await runProcess(tools + "/pg_restore", ["--no-owner", "--dbname=\(empty)", dump], environment: [:])
        #expect(restored.status == 0, "\(restored.errors)")
        // What the dump holds still to deliver, read from the restored database before any relay touches it.
        let pending = try await PostgresSQL.texts("SELECT id FROM messages WHERE state IN ('pending', 'inflight') ORDER BY id", on: empty)
        #expect(!pending.isEmpty, "the dump caught deliveries still to make")

        let relay = try await RelayProcess.start(environment: environment.merging(["RELAY_DATABASE": empty]) { $1 })
        try await eventually("everything pending in the dump delivered by the restored relay, under its id", timeout: .seconds(60)) {
            Set(pending).isSubset(of: Set(adapter.requests.compactMap { $0.header("webhook-id") }))
        }
        for id in before {
            #expect(try await call(.GET, relay.baseURL + "/api/v1/requests/\(id)", token: TestRelay.adminToken).status == 200, "\(id)")
        }
        print("pg_dump under load: \(before.count) requests accepted before it, \(pending.count) messages pending in it, all there after pg_restore")
        #expect(await relay.stop() == 0)
        await adapter.stop()
    }

    /// A PostgreSQL store is backed up with its own tools: the command says so instead of copying anything.
    @Test func aPostgreSQLStoreIsBackedUpWithPgDump() async throws {
        guard case .postgres(let url) = try await TestStores.fresh(.postgres) else { return }
        let environment = ["RELAY_DATABASE": url, "RELAY_CALLBACK_KEY": Data(TestRelay.callbackKey).base64EncodedString()]
        let backup = try await CommandLineTests.run(["backup", "/tmp/never-\(UUID().uuidString).sqlite"], environment: environment)
        #expect(backup.status != 0 && backup.errors.contains("pg_dump"), "\(backup.errors)")
        let restore = try await CommandLineTests.run(["restore", "/tmp/whatever.sqlite"], environment: environment)
        #expect(restore.status != 0 && restore.errors.contains("pg_restore"), "\(restore.errors)")
    }
}

/// Submits to `relay` until stopped, remembering when each was accepted: a steady stream with a breath between
/// submits, so the run's other tests, sharing two cores, keep their timing.
final class SubmitLoad: Sendable {
    private let accepted = Mutex<[(id: String, at: ContinuousClock.Instant)]>([])
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(_ relay: RelayProcess, prefix: String = "bk-") {
        task.withLock {
            $0 = Task {
                var index = 0
                while !Task.isCancelled {
                    index += 1
                    let id = prefix + "\(index)"
                    if let answer = try? await call(.POST, relay.baseURL + "/api/v1/requests", token: TestRelay.submitToken,
                                                    headers: ["Idempotency-Key": id], body: approvalBody(id)), answer.status == 202 {
                        self.accepted.withLock { $0.append((id, ContinuousClock.now)) }
                    }
                    try? await Task.sleep(for: .milliseconds(15))
                }
            }
        }
    }

    var acceptedSoFar: Int { accepted.withLock { $0.count } }

    /// Stops the load; the requests accepted before `instant`.
    func stop(acceptedBefore instant: ContinuousClock.Instant) async -> [String] {
        let task = self.task.withLock { $0 }
        task?.cancel()
        await task?.value
        return accepted.withLock { $0.filter { $0.at < instant }.map(\.id) }
    }
}
