import Foundation
import Hummingbird
import Logging
import NIOCore
import RelayCore
import RelayDelivery
import RelayStore

/// The admin API for endpoints: create (secret shown once), list, show, update, enable/disable,
/// delete, rotate secret.
struct EndpointRoutes {
    let dependencies: RelayDependencies

    func register(on group: RouterGroup<RelayRequestContext>) {
        let admin = EndpointAdmin(dependencies: dependencies)
        group.post("/endpoints") { request, _ in
            let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
            return JSONResponse.make(status: .created, try await admin.create(body))
        }
        group.get("/endpoints") { _, _ in
            JSONResponse.make(status: .ok, try await admin.list())
        }
        group.get("/endpoints/:endpoint") { _, context in
            JSONResponse.make(status: .ok, try await admin.show(try context.parameters.require("endpoint")))
        }
        group.patch("/endpoints/:endpoint") { request, context in
            let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
            return JSONResponse.make(status: .ok, try await admin.update(try context.parameters.require("endpoint"), body))
        }
        group.post("/endpoints/:endpoint/disable") { _, context in
            JSONResponse.make(status: .ok, try await admin.setEnabled(try context.parameters.require("endpoint"), false))
        }
        group.post("/endpoints/:endpoint/enable") { _, context in
            JSONResponse.make(status: .ok, try await admin.setEnabled(try context.parameters.require("endpoint"), true))
        }
        group.delete("/endpoints/:endpoint") { _, context in
            try await admin.delete(try context.parameters.require("endpoint"))
            return Response(status: .noContent)
        }
        group.post("/endpoints/:endpoint/rotate-secret") { request, context in
            let body = try await request.collectBody(limit: dependencies.settings.maxBodyBytes)
            return JSONResponse.make(status: .ok, try await admin.rotateSecret(try context.parameters.require("endpoint"), body))
        }
    }
}

/// Endpoint administration, shared by the admin API and the command line so both apply the same rules.
public struct EndpointAdmin: Sendable {
    let dependencies: RelayDependencies
    var store: any RelayStore { dependencies.store }

    public init(dependencies: RelayDependencies) {
        self.dependencies = dependencies
    }

    /// Registers an endpoint from a JSON body; the answer holds its secret, shown only this once.
    public func create(_ body: Data) async throws -> some Encodable {
        let now = dependencies.clock.now()
        var reader = try FieldReader(body)
        let secret = try reader.string("secret").map { text in
            guard let secret = WebhookSecret(text) else {
                throw APIError.badRequest("secret must be whsec_ followed by the base64 of 24 to 64 bytes; leave it out to have one generated", field: "secret")
            }
            return secret
        } ?? WebhookSecret.generate()
        let endpoint = try EndpointInput.create(
            &reader, id: Identifier.make("ep", at: now), secret: secret.description,
            defaultConcurrency: dependencies.settings.defaultEndpointConcurrency, now: now
        )
        try reader.rejectUnknown()
        do {
            try await store.createEndpoint(endpoint)
        } catch StoreError.conflict(let message) {
            throw APIError(.conflict, code: "endpoint_exists", message, field: "name")
        }
        return EndpointView(endpoint, now: now, secret: secret.description)
    }

    public func list() async throws -> some Encodable {
        let now = dependencies.clock.now()
        return EndpointList(items: try await store.endpoints().map { EndpointView($0, now: now) })
    }

    public func show(_ key: String) async throws -> some Encodable {
        EndpointView(try await find(key), now: dependencies.clock.now())
    }

    public func update(_ key: String, _ body: Data) async throws -> some Encodable {
        var endpoint = try await find(key)
        var reader = try FieldReader(body)
        try EndpointInput.update(&endpoint, &reader)
        try reader.rejectUnknown()
        return try await save(endpoint)
    }

    public func setEnabled(_ key: String, _ enabled: Bool) async throws -> some Encodable {
        var endpoint = try await find(key)
        endpoint.enabled = enabled
        endpoint.disabledReason = enabled ? nil : "disabled by an admin"
        return try await save(endpoint)
    }

    public func delete(_ key: String) async throws {
        let endpoint = try await find(key)
        do {
            try await store.deleteEndpoint(id: endpoint.id)
        } catch StoreError.busy(let message) {
            throw APIError(.conflict, code: "endpoint_busy", message)
        }
    }

    /// A new secret signs from now on; the old ones keep signing for `grace_sec` (default from config).
    public func rotateSecret(_ key: String, _ body: Data) async throws -> some Encodable {
        var endpoint = try await find(key)
        var grace = dependencies.settings.secretRotationGrace
        if !body.isEmpty {
            var reader = try FieldReader(body)
            if let seconds = try reader.int("grace_sec", in: 0...(30 * 86400)) { grace = TimeInterval(seconds) }
            try reader.rejectUnknown()
        }
        let now = dependencies.clock.now()
        let secret = WebhookSecret.generate()
        endpoint.secrets = SecretRotation.rotate(endpoint.secrets, to: secret.description, now: now, grace: grace)
        endpoint.updatedAt = now
        try await store.updateEndpoint(endpoint)
        return EndpointView(endpoint, now: now, secret: secret.description)
    }

    func find(_ key: String) async throws -> Endpoint {
        guard let endpoint = try await store.endpoint(idOrName: key) else {
            throw APIError.notFound("no endpoint with id or name \(key)")
        }
        return endpoint
    }

    func save(_ endpoint: Endpoint) async throws -> EndpointView {
        var updated = endpoint
        updated.updatedAt = dependencies.clock.now()
        do {
            try await store.updateEndpoint(updated)
        } catch StoreError.conflict(let message) {
            throw APIError(.conflict, code: "endpoint_exists", message, field: "name")
        }
        if updated.enabled { dependencies.wake.signal() }
        return EndpointView(updated, now: updated.updatedAt)
    }

    struct EndpointList: Encodable {
        var items: [EndpointView]
    }
}

/// The rule of a secret rotation: the new secret signs from now on; the ones before it keep signing
/// until `grace` has passed (or their own earlier expiry), then drop out.
public enum SecretRotation {
    public static func rotate(_ secrets: [SigningSecret], to new: String, now: Date, grace: TimeInterval) -> [SigningSecret] {
        let retiring = secrets
            .filter { $0.expiresAt.map { $0 > now } ?? true }
            .map { SigningSecret(secret: $0.secret, expiresAt: min($0.expiresAt ?? .distantFuture, now.addingTimeInterval(grace))) }
            .filter { $0.expiresAt! > now }
        return [SigningSecret(secret: new)] + retiring
    }
}
