import Foundation
import RelayCore
import RelayDelivery
import RelayStore

extension RelayApplication {
    /// Registers an endpoint; the answer holds its secret, shown only this once.
    public func createEndpoint(_ changes: EndpointChanges, declaredIn: String? = nil) async throws -> EndpointView {
        let now = clock.now()
        guard let name = changes.name, !name.isEmpty else { throw RelayError.invalid("name is required", field: "name") }
        guard changes.role != nil else { throw RelayError.invalid("role is required: approver or executor", field: "role") }
        guard let url = changes.url, !url.isEmpty else { throw RelayError.invalid("url is required", field: "url") }
        let blank = Endpoint(id: Identifier.make("ep", at: now), name: name, role: changes.role!, url: url, secrets: [],
                             concurrency: policy.defaultEndpointConcurrency, createdAt: now, updatedAt: now)
        var endpoint = try changes.apply(to: blank)
        let secret = changes.secret.flatMap(WebhookSecret.init) ?? WebhookSecret.generate()
        endpoint.secrets = [SigningSecret(secret: secret.description)]
        endpoint.declaredIn = declaredIn
        do {
            try await store.createEndpoint(endpoint)
        } catch StoreError.conflict(let message) {
            throw RelayError(.conflict, code: "endpoint_exists", message, field: "name")
        }
        return EndpointView(endpoint, now: now, secret: secret.description)
    }

    public func endpoints() async throws -> [EndpointView] {
        let now = clock.now()
        return try await store.endpoints().map { EndpointView($0, now: now) }
    }

    public func endpoint(_ key: String) async throws -> EndpointView {
        EndpointView(try await findEndpoint(key), now: clock.now())
    }

    /// Changes an endpoint that the API owns (not one a config file declares).
    public func updateEndpoint(_ key: String, _ changes: EndpointChanges) async throws -> EndpointView {
        let endpoint = try await ownedEndpoint(key)
        return try await save(try changes.apply(to: endpoint))
    }

    public func setEndpointEnabled(_ key: String, _ enabled: Bool) async throws -> EndpointView {
        try await updateEndpoint(key, EndpointChanges(enabled: enabled))
    }

    public func deleteEndpoint(_ key: String) async throws {
        let endpoint = try await ownedEndpoint(key)
        do {
            try await store.deleteEndpoint(id: endpoint.id)
        } catch StoreError.busy(let message) {
            throw RelayError(.conflict, code: "endpoint_busy", message)
        }
    }

    /// A new secret signs from now on; the old ones keep signing for `grace` (default: the policy's).
    public func rotateSecret(_ key: String, grace: TimeInterval? = nil) async throws -> EndpointView {
        var endpoint = try await ownedEndpoint(key)
        if let grace, !SecretRotation.graceRange.contains(Int(grace)) {
            throw RelayError.invalid("grace_sec must be a whole number from \(SecretRotation.graceRange.lowerBound) to \(SecretRotation.graceRange.upperBound)",
                                     field: "grace_sec")
        }
        let now = clock.now()
        let secret = WebhookSecret.generate()
        endpoint.secrets = SecretRotation.rotate(endpoint.secrets, to: secret.description, now: now, grace: grace ?? policy.secretRotationGrace)
        endpoint.updatedAt = now
        try await store.updateEndpoint(endpoint)
        return EndpointView(endpoint, now: now, secret: secret.description)
    }

    func findEndpoint(_ key: String) async throws -> Endpoint {
        guard let endpoint = try await store.endpoint(idOrName: key) else {
            throw RelayError.notFound("no endpoint with id or name \(key)")
        }
        return endpoint
    }

    /// An endpoint declared in a config file is changed there: the API, the console and the CLI refuse (SPEC §15).
    func ownedEndpoint(_ key: String) async throws -> Endpoint {
        let endpoint = try await findEndpoint(key)
        if let file = endpoint.declaredIn {
            throw RelayError(.conflict, code: "endpoint_declared",
                             "endpoint \(endpoint.name) is declared in \(file); change it there and restart the relay")
        }
        return endpoint
    }

    func save(_ endpoint: Endpoint) async throws -> EndpointView {
        var updated = endpoint
        updated.updatedAt = clock.now()
        do {
            try await store.updateEndpoint(updated)
        } catch StoreError.conflict(let message) {
            throw RelayError(.conflict, code: "endpoint_exists", message, field: "name")
        }
        if updated.enabled { wake.signal() }
        return EndpointView(updated, now: updated.updatedAt)
    }
}
