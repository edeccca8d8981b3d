import Foundation
import NIOHTTP1
import RelayCore
import RelayTestSupport
import RelayDelivery
import Testing

/// The egress guard through real deliveries (SPEC §4): refused addresses are never delivered to, and the
/// message becomes a dead letter naming the reason.
@Suite struct EgressTests {
    /// Resolves `*.test` names as the test says; everything else through the system.
    static func resolver(_ names: [String: String]) -> @Sendable (String) -> [IPAddress] {
        { host in names[host].map { [IPAddress($0)!] } ?? SystemResolver.addresses(of: host) }
    }

    func deadLetter(_ relay: TestRelay, _ correlationId: String) async throws -> JSONValue {
        try await eventually("the dead letter") { try await firstMessage(relay, correlationId)["state"] == "dead" }
        return try await firstMessage(relay, correlationId)
    }

    @Test(arguments: ["http://169.254.169.254/latest/meta-data/", "http://metadata.test/"])
    func metadataAddressesAreRefusedEvenByName(url: String) async throws {
        let relay = try await TestRelay.start(egress: EgressGuard(policy: EgressPolicy(), resolve: Self.resolver(["metadata.test": "169.254.169.254"])))
        _ = try await registerEndpoint(relay, name: "sneaky", url: url)
        _ = try await submit(relay, "c-metadata")
        let message = try await deadLetter(relay, "c-metadata")
        await relay.stop()
        #expect(message["dead_reason"] == "permanent" && message["attempt_count"] == 1)
        #expect(message["last_error"]?.stringValue?.contains("169.254.0.0/16") == true)
    }

    @Test(arguments: StoreKind.allCases) func strictModeRefusesLoopbackUnlessAllowed(_ store: StoreKind) async throws {
        let adapter = try await StandInServer.start()
        let strict = try await TestRelay.start(store: store, egress: EgressGuard(policy: EgressPolicy(mode: .strict)))
        _ = try await registerEndpoint(strict, name: "local", url: adapter.url)
        _ = try await submit(strict, "c-strict")
        let message = try await deadLetter(strict, "c-strict")
        await strict.stop()
        #expect(message["last_error"]?.stringValue?.contains("strict") == true)
        #expect(adapter.requests.isEmpty)

        let allowed = try await TestRelay.start(store: store, egress: EgressGuard(policy: EgressPolicy(mode: .strict, allow: [IPRange("127.0.0.1/32")!])))
        _ = try await registerEndpoint(allowed, name: "local", url: adapter.url)
        _ = try await submit(allowed, "c-allowed")
        try await eventually("delivered") { try await firstMessage(allowed, "c-allowed")["state"] == "delivered" }
        await allowed.stop()
        await adapter.stop()
    }

    /// The name looked public when checked, but the connection reached loopback: refused after connect.
    @Test(arguments: StoreKind.allCases) func theConnectedAddressIsCheckedToo(_ store: StoreKind) async throws {
        let adapter = try await StandInServer.start()
        let relay = try await TestRelay.start(store: store, egress: EgressGuard(policy: EgressPolicy(mode: .strict), resolve: Self.resolver(["localhost": "93.184.216.34"])))
        _ = try await registerEndpoint(relay, name: "rebinding", url: "http://localhost:\(adapter.port)/", extra: ["max_attempts": 1])
        _ = try await submit(relay, "c-rebind")
        let message = try await deadLetter(relay, "c-rebind")
        await relay.stop()
        #expect(adapter.requests.isEmpty)
        #expect(message["last_error"]?.stringValue?.contains("strict") == true, "\(message)")
        await adapter.stop()
    }
}
