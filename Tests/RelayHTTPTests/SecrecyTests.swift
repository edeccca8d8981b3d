import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import Testing

/// No token, secret, key or capability URL ever appears in a log line or an error body (issue 4): a
/// full run of the binary at trace level, every secret it was given or made, its whole log scanned.
@Suite(.serialized) struct SecrecyTests {
    @Test func noSecretReachesALogLineOrAnErrorBody() async throws {
        let adapter = try await StandInServer.start()
        let controlPlane = try await StandInServer.start(.status(200))
        let secrets = [
            "admin": "admin-token-7c1d4e", "submit": "submit-token-93ab02", "callback": "callback-token-5f60aa",
            "key": Data(repeating: 42, count: 32).base64EncodedString(),
            "controlPlaneSecret": "whsec_" + Data(repeating: 9, count: 32).base64EncodedString(),
            "adapterHeader": "adapter-header-value-e2b7", "presentedWrong": "wrong-token-d41d8c",
        ]
        let relay = try await RelayProcess.start(environment: [
            "RELAY_ADMIN_TOKEN": secrets["admin"]!, "RELAY_SUBMIT_TOKEN": secrets["submit"]!,
            "RELAY_CALLBACK_TOKEN": secrets["callback"]!, "RELAY_CALLBACK_KEY": secrets["key"]!,
            "RELAY_CONTROL_PLANE_URL": controlPlane.url + "/decisions", "RELAY_CONTROL_PLANE_FORMAT": "native",
            "RELAY_CONTROL_PLANE_SECRET": secrets["controlPlaneSecret"]!, "RELAY_LOG_LEVEL": "trace",
        ])
        var found = secrets
        var errorBodies: [String] = []
        func failing(_ answer: Answer) -> Answer {
            if answer.status >= 400 { errorBodies.append(answer.text) }
            return answer
        }
        let base = relay.baseURL
        let created = try await call(.POST, base + "/api/v1/endpoints", token: secrets["admin"], body: json([
            "name": "tg", "role": "approver", "url": .string(adapter.url + "/approve"),
            "headers": ["Authorization": .string("Bearer " + secrets["adapterHeader"]!)],
        ]))
        found["endpointSecret"] = try #require(created.json?["secret"]?.stringValue)
        let rotated = try await call(.POST, base + "/api/v1/endpoints/tg/rotate-secret", token: secrets["admin"])
        found["rotatedSecret"] = try #require(rotated.json?["secret"]?.stringValue)

        for name in ["s1", "s2", "s3"] {
            let answer = try await call(.POST, base + "/api/v1/requests", token: secrets["submit"], headers: ["Idempotency-Key": name],
                                        body: approvalBody(name, callback: controlPlane.url + "/own-callback"))
            #expect(answer.status == 202, "\(answer.text)")
        }
        try await eventually("three deliveries") { adapter.requests.count == 3 }
        var urlOf: [String: String] = [:]  // deliveries arrive in any order: by correlation id
        for delivery in adapter.requests {
            guard let body = JSONValue.parse(delivery.body), let id = body["correlation_id"]?.stringValue,
                  let url = body["callback"]?["url"]?.stringValue else { continue }
            urlOf[id] = url
        }
        let capabilityURLs = Array(urlOf.values)
        #expect(capabilityURLs.count == 3)
        for (index, url) in capabilityURLs.enumerated() {
            found["capabilityToken\(index)"] = String(url.split(separator: "/").last!)
        }
        let s1 = try #require(urlOf["s1"]), s3 = try #require(urlOf["s3"])
        #expect(try await call(.POST, s1, body: json(["decision": "approve"])).status == 200)
        _ = failing(try await call(.POST, s1, body: json(["decision": "deny"])))  // 409
        _ = failing(try await call(.POST, s3, body: json(["decision": ["nested": true]])))  // 400
        _ = failing(try await call(.POST, s3 + "x", body: json(["decision": "approve"])))  // 404
        #expect(try await call(.POST, base + "/approvals/webhook", token: secrets["callback"],
                               body: json(["correlation_id": "s2", "decision": "deny", "reason": "not today"])).status == 200)
        for path in ["/api/v1/endpoints", "/api/v1/dead-letters", "/api/v1/requests/s1"] {
            _ = failing(try await call(.GET, base + path, token: secrets["presentedWrong"]))
        }
        _ = failing(try await call(.POST, base + "/api/v1/requests", token: secrets["presentedWrong"], body: approvalBody("s9")))
        _ = failing(try await call(.POST, base + "/approvals/webhook", headers: ["X-Codex-MCP-Token": secrets["presentedWrong"]!],
                                   body: json(["correlation_id": "s3", "decision": "approve"])))
        _ = failing(try await call(.POST, base + "/api/v1/endpoints", token: secrets["admin"], body: json([
            "name": "bad", "role": "approver", "url": "ftp://x", "headers": ["X-Secret": .string(secrets["adapterHeader"]!)],
        ])))
        try await eventually("two decisions forwarded twice each") { controlPlane.requests.count == 4 }
        #expect(try await call(.GET, base + "/metrics").status == 200)
        // What an admin reads: timelines (attempts with their response excerpts, forwards) and endpoints.
        var adminBodies: [String] = []
        for path in ["/api/v1/requests/s1", "/api/v1/requests/s2", "/api/v1/requests/s3", "/api/v1/endpoints", "/api/v1/endpoints/tg",
                     "/api/v1/dead-letters"] {
            let answer = try await call(.GET, base + path, token: secrets["admin"])
            #expect(answer.status == 200, "\(path): \(answer.text)")
            adminBodies.append(answer.text)
        }
        #expect(await relay.stop() == 0)

        let log = relay.log
        #expect(errorBodies.count >= 8)
        #expect(log.contains("request_id=") && log.contains("message_id="), "the log names requests and messages")
        for (name, secret) in found {
            #expect(!log.contains(secret), "the log holds the \(name)")
            for body in errorBodies { #expect(!body.contains(secret), "an error body holds the \(name): \(body)") }
        }
        for url in capabilityURLs { #expect(!log.contains(url), "the log holds a capability URL") }
        for (name, secret) in found where name != "endpointSecret" && name != "rotatedSecret" {
            for body in adminBodies { #expect(!body.contains(secret), "the admin API shows the \(name): \(body)") }
        }
        for body in adminBodies where body.contains("\"secret\"") { Issue.record("an admin view holds an endpoint secret: \(body)") }
        // Capability tokens are stored only as their hashes; the hashes are found, so the right files were read.
        let database = relay.databaseBytes
        for (index, url) in capabilityURLs.enumerated() {
            let token = String(url.split(separator: "/").last!)
            #expect(database.range(of: Data(token.utf8)) == nil, "capability token \(index) stored as it is")
            #expect(database.range(of: Data(CapabilityToken.hash(token).utf8)) != nil, "capability token \(index)'s hash not stored")
        }
        for name in ["admin", "submit", "callback", "key", "presentedWrong"] {
            #expect(database.range(of: Data(secrets[name]!.utf8)) == nil, "the database holds the \(name)")
        }
        await adapter.stop()
        await controlPlane.stop()
    }

    /// The database URL's password never reaches the log, not even at trace level.
    @Test func thePostgresPasswordIsNotLogged() async throws {
        guard case .postgres(let url) = try await TestStores.fresh(.postgres),
              var components = URLComponents(string: url) else { return }
        components.password = "db-password-0c9f1e"  // the throwaway server trusts loopback, so any password works
        let relay = try await RelayProcess.start(environment: [
            "RELAY_DATABASE": components.string!, "RELAY_CALLBACK_KEY": Data(repeating: 1, count: 32).base64EncodedString(),
            "RELAY_ADMIN_TOKEN": "secrecy-admin-token", "RELAY_LOG_LEVEL": "trace",
        ])
        #expect(try await call(.GET, relay.baseURL + "/readyz").status == 200)
        #expect(await relay.stop() == 0)
        #expect(relay.log.contains("postgres://postgres:REDACTED@127.0.0.1"), "the log names the database without its password")
        #expect(!relay.log.contains("db-password-0c9f1e"))
    }
}
