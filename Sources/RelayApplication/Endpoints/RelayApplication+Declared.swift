import Foundation
import Logging
import RelayCore
import RelayDelivery
import RelayStore

/// An endpoint as a config file declares it (SPEC §15): its settings, and its signing secret when the file
/// names one (by reference: the variable or file was read when the configuration was loaded).
public struct DeclaredEndpoint: Sendable, Equatable {
    public var changes: EndpointChanges
    public var secret: String?

    public init(changes: EndpointChanges, secret: String? = nil) {
        self.changes = changes
        self.secret = secret
    }

    public var name: String { changes.name ?? "" }
}

/// What a reconciliation did, by endpoint name.
public struct ReconcileReport: Sendable, Equatable {
    public var created: [String] = []
    public var updated: [String] = []
    public var unchanged: [String] = []
    /// No longer declared: given back to the API (`endpoints_prune: false`) …
    public var released: [String] = []
    /// … or disabled (`endpoints_prune: true`).
    public var disabled: [String] = []

    public init() {}
}

extension RelayApplication {
    /// Makes the store hold what `file` declares, by name: a missing endpoint is created, a present one is
    /// brought to the file's settings (a changed secret is rotated in, the old one signing for the grace
    /// period), and one the file declared before but no longer does is disabled with `prune`, or else handed
    /// back to the API. Every declared endpoint is marked with `file`, so the API refuses to change it.
    /// Several instances starting at once converge: a name another instance just created is updated instead.
    public func reconcile(_ declared: [DeclaredEndpoint], file: String, prune: Bool) async throws -> ReconcileReport {
        var report = ReconcileReport()
        let names = Set(declared.map(\.name))
        for entry in declared {
            try await reconcile(entry, file: file, report: &report)
        }
        for endpoint in try await store.endpoints() where endpoint.declaredIn == file && !names.contains(endpoint.name) {
            var released = endpoint
            released.declaredIn = nil
            if prune {
                released.enabled = false
                released.disabledReason = "no longer declared in \(file)"
                report.disabled.append(endpoint.name)
            } else {
                report.released.append(endpoint.name)
            }
            released.updatedAt = clock.now()
            try await store.updateEndpoint(released)
        }
        logger.info("declared endpoints reconciled", metadata: [
            "file": "\(file)", "created": "\(report.created)", "updated": "\(report.updated)", "unchanged": "\(report.unchanged.count)",
            "released": "\(report.released)", "disabled": "\(report.disabled)",
        ])
        return report
    }

    private func reconcile(_ entry: DeclaredEndpoint, file: String, report: inout ReconcileReport) async throws {
        guard let existing = try await store.endpoint(idOrName: entry.name), existing.name == entry.name else {
            var changes = entry.changes
            changes.secret = entry.secret
            do {
                _ = try await createEndpoint(changes, declaredIn: file)
                report.created.append(entry.name)
                return
            } catch let error as RelayError where error.code == "endpoint_exists" {
                // Another instance created it a moment ago: bring it to the file's settings like any other.
                return try await reconcile(entry, file: file, report: &report)
            }
        }
        // The file is the whole truth: a setting it leaves out is the relay's default, not what the endpoint had.
        let changes = entry.changes
        var endpoint = try changes.apply(to: existing)
        if changes.maxAttempts == nil { endpoint.settings.maxAttempts = nil }
        if changes.timeoutMs == nil { endpoint.settings.timeoutMs = nil }
        if changes.headers == nil { endpoint.settings.headers = [:] }
        if changes.tools == nil { endpoint.settings.tools = [] }
        if changes.concurrency == nil { endpoint.settings.concurrency = policy.defaultEndpointConcurrency }
        endpoint.declaredIn = file
        if let secret = entry.secret, endpoint.activeSecrets(at: clock.now()).first?.secret != secret {
            guard WebhookSecret(secret) != nil else {
                throw RelayError.invalid("the secret of endpoint \(entry.name) must be whsec_ followed by the base64 of 24 to 64 bytes", field: "secret")
            }
            endpoint.secrets = SecretRotation.rotate(endpoint.secrets, to: secret, now: clock.now(), grace: policy.secretRotationGrace)
        }
        guard endpoint != existing else {
            report.unchanged.append(entry.name)
            return
        }
        _ = try await save(endpoint)
        report.updated.append(entry.name)
    }
}
