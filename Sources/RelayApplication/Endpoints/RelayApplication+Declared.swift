import Foundation
import Logging
import RelayCore
import RelayDelivery
import RelayStore

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
    public func reconcile(_ declared: [EndpointChanges], file: String, prune: Bool) async throws -> ReconcileReport {
        var report = ReconcileReport()
        let stored = Dictionary(try await store.endpoints().map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for entry in declared {
            try await reconcile(entry, existing: entry.name.flatMap { stored[$0] }, file: file, report: &report)
        }
        let names = Set(declared.compactMap(\.name))
        for endpoint in stored.values.sorted(by: { $0.name < $1.name }) where endpoint.declaredIn == file && !names.contains(endpoint.name) {
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

    /// `entry` is complete (the file is the whole truth: what it leaves out is the default), so applying it is the update.
    private func reconcile(_ entry: EndpointChanges, existing: Endpoint?, file: String, report: inout ReconcileReport) async throws {
        let name = entry.name ?? ""
        guard let existing else {
            do {
                _ = try await createEndpoint(entry, declaredIn: file)
                report.created.append(name)
            } catch let error as RelayError where error.code == "endpoint_exists" {
                // Another instance created it a moment ago: bring it to the file's settings like any other.
                try await reconcile(entry, existing: try await findEndpoint(name), file: file, report: &report)
            }
            return
        }
        var endpoint = try entry.apply(to: existing)
        endpoint.declaredIn = file
        if let secret = entry.secret, endpoint.activeSecrets(at: clock.now()).first?.secret != secret {
            endpoint.secrets = SecretRotation.rotate(endpoint.secrets, to: secret, now: clock.now(), grace: policy.secretRotationGrace)
        }
        guard endpoint != existing else {
            report.unchanged.append(name)
            return
        }
        _ = try await save(endpoint)
        report.updated.append(name)
    }
}
