import Foundation
import Logging
import NIOCore
import RelayCore
import RelayDelivery

/// What the HTTP surface needs to know about the relay's configuration.
public struct RelaySettings: Sendable {
    public var adminToken: String?
    public var submitToken: String?
    public var callbackToken: String?
    /// Where decisions go besides a request's own `callback.url`.
    public var controlPlane: ControlPlaneSink?
    public var defaultRequestTimeout: TimeInterval
    public var maxBodyBytes: Int
    /// Concurrency of an endpoint registered without one.
    public var defaultEndpointConcurrency: Int
    /// How long a rotated-out secret keeps signing.
    public var secretRotationGrace: TimeInterval

    public init(adminToken: String? = nil, submitToken: String? = nil, callbackToken: String? = nil,
                controlPlane: ControlPlaneSink? = nil, defaultRequestTimeout: TimeInterval = 3600,
                maxBodyBytes: Int = 256 * 1024, defaultEndpointConcurrency: Int = 8,
                secretRotationGrace: TimeInterval = 86400) {
        self.adminToken = adminToken
        self.submitToken = submitToken
        self.callbackToken = callbackToken
        self.controlPlane = controlPlane
        self.defaultRequestTimeout = defaultRequestTimeout
        self.maxBodyBytes = maxBodyBytes
        self.defaultEndpointConcurrency = defaultEndpointConcurrency
        self.secretRotationGrace = secretRotationGrace
    }
}

/// The configured control plane that receives decisions (SPEC §6.2, §6.3).
public struct ControlPlaneSink: Sendable, Equatable {
    public enum Format: String, Sendable {
        case codexK8s = "codex-k8s"
        case native
    }

    public var url: String
    public var format: Format
    public var token: String?
    public var secret: String?

    public init(url: String, format: Format, token: String? = nil, secret: String? = nil) {
        self.url = url
        self.format = format
        self.token = token
        self.secret = secret
    }

    /// True when this sink receives the decision of `submission` (codex-k8s only knows numbered requests).
    public func receives(approvalRequestId: Int64?) -> Bool {
        switch format {
        case .native: true
        case .codexK8s: approvalRequestId != nil
        }
    }
}
