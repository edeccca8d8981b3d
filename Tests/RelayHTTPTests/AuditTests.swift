import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// SPEC §12, the audit trail: every decision, vote, cancel and expiry is an entry of one hash chain, streamed as
/// NDJSON, checkable by anyone from its documented form, and `webhook-relay audit verify` names the first entry
/// that was altered or the end that was cut off.
@Suite struct AuditTests {
    @Test(arguments: StoreKind.allCases) func theChainVerifiesAndTamperingIsNamed(_ store: StoreKind) async throws {
        let location = try await TestStores.fresh(store)
        let approvers = try await Approvers.start(["a", "b"], store: store, location: location)
        #expect(try await approvers.submit("au-quorum", to: ["a", "b"], extra: ["approval_policy": ["min_approvals": 2]]).status == 202)
        #expect(try await approvers.vote("a", "au-quorum").status == 200)
        #expect(try await approvers.vote("b", "au-quorum").json?["state"] == "approved")
        #expect(try await approvers.submit("au-cancel", to: ["a"]).status == 202)
        #expect(try await call(.POST, approvers.relay.baseURL + "/api/v1/requests/au-cancel/cancel", token: TestRelay.adminToken).status == 200)

        let stream = try await call(.GET, approvers.relay.baseURL + "/api/v1/audit", token: TestRelay.adminToken)
        #expect(stream.status == 200 && stream.headers.first(name: "Content-Type") == "application/x-ndjson")
        let lines = stream.text.split(separator: "\n").compactMap { JSONValue.parse(Data($0.utf8)) }
        #expect(lines.map { $0["kind"]?.stringValue ?? "" } == ["vote", "vote", "decision", "cancel"], "\(stream.text)")
        #expect(lines.map { $0["seq"]?.int64Value ?? 0 } == [1, 2, 3, 4])
        #expect(lines[0]["path"] == "capability" && lines[0]["endpoint"] == "a" && lines[0]["body_sha256"]?.stringValue?.count == 64)
        // The documented form, recomputed by another implementation: SHA-256 of the canonical JSON with the previous hash.
        let check = try await runPython("""
            import hashlib, json, sys
            previous = "0" * 64
            for line in sys.stdin.read().splitlines():
                entry = json.loads(line)
                fields = {k: entry.get(k) for k in ["seq", "recorded_at_ms", "kind", "request_id", "correlation_id", "path", "endpoint",
                                                     "actor", "decision", "reason", "body_sha256"]}
                fields["previous_hash"] = previous
                assert entry["previous_hash"] == previous, entry
                digest = hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
                assert digest == entry["hash"], (digest, entry)
                previous = digest
            print("ok")
            """, stdin: stream.text)
        #expect(check.status == 0 && check.output.contains("ok"), "\(check.errors)")
        let later = try await call(.GET, approvers.relay.baseURL + "/api/v1/audit?after=3", token: TestRelay.adminToken)
        #expect(later.text.split(separator: "\n").count == 1)
        #expect(try await call(.GET, approvers.relay.baseURL + "/api/v1/audit?since=yesterday", token: TestRelay.adminToken).status == 400)
        #expect(try await call(.GET, approvers.relay.baseURL + "/api/v1/audit", token: TestRelay.submitToken).status == 401)
        await approvers.stop()

        let environment = ["RELAY_DATABASE": location.databaseSetting, "RELAY_CALLBACK_KEY": Data(TestRelay.callbackKey).base64EncodedString()]
        let intact = try await CommandLineTests.run(["audit", "verify"], environment: environment)
        #expect(intact.status == 0 && intact.output.contains("intact: 4 entries"), "\(intact.output) \(intact.errors)")

        // One entry's reason changed by hand in the database: the chain breaks at that entry.
        let original = try #require(lines[1]["reason"]?.stringValue)
        try await Self.sql("UPDATE audit_log SET reason = 'approved by nobody' WHERE seq = 2", location)
        let altered = try await CommandLineTests.run(["audit", "verify"], environment: environment)
        #expect(altered.status == 1 && altered.output.contains("audit entry 2") && altered.output.contains("altered"), "\(altered.output)")
        // Put back, then the last entry removed: the head still names it.
        try await Self.sql("UPDATE audit_log SET reason = '\(original)' WHERE seq = 2", location)
        #expect(try await CommandLineTests.run(["audit", "verify"], environment: environment).status == 0)
        try await Self.sql("DELETE FROM audit_log WHERE seq = 4", location)
        let cut = try await CommandLineTests.run(["audit", "verify"], environment: environment)
        #expect(cut.status == 1 && cut.output.contains("entries at its end were removed"), "\(cut.output)")
    }

    /// Plain SQL on the test's database, as someone with access to it would change it.
    static func sql(_ statement: String, _ location: StoreLocation) async throws {
        switch location {
        case .postgres(let url):
            try await PostgresSQL.execute([statement], on: url)
        case .sqlite(let path):
            let run = try await runPython("import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\ndb.execute(sys.argv[2])\ndb.commit()",
                                          arguments: [path, statement])
            #expect(run.status == 0, "\(run.errors)")
        }
    }
}
