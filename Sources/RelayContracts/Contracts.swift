import Foundation
import RelayCore

/// The configured control plane (SPEC §6.2, §6.3, `control_plane.*`): its format names its contract.
public struct ControlPlaneSettings: Sendable, Equatable {
    public var url: String
    public var format: String
    /// Sent as `X-Codex-MCP-Token` (codex-k8s).
    public var token: String?
    /// `whsec_…`: signs its forwards.
    public var secret: WebhookSecret?

    public init(url: String, format: String, token: String? = nil, secret: WebhookSecret? = nil) {
        self.url = url
        self.format = format
        self.token = token
        self.secret = secret
    }
}

/// The one place the wire contracts are registered: a new contract is a folder beside these and a line here.
public enum Contracts {
    /// The control-plane formats `control_plane.format` may name, each making its forward contract.
    public static let controlPlaneFormats: [(name: String, make: @Sendable (ControlPlaneSettings) -> any ForwardContract)] = [
        ("codex-k8s", { CodexK8sForwards(settings: $0) }),
        ("native", { NativeForwards(settings: $0) }),
    ]

    /// The callback doors behind the shared callback token.
    public static let callbacks: [any CallbackContract] = [ContractACallbacks(), CodexK8sCallbacks()]

    /// The forward contracts of a relay: a request's own callback URL (contract A), then the control plane.
    public static func forwards(callbackSigningSecret: WebhookSecret?, controlPlane: ControlPlaneSettings?) -> [any ForwardContract] {
        var contracts: [any ForwardContract] = [ContractAForwards(signingSecret: callbackSigningSecret)]
        if let controlPlane, let format = controlPlaneFormats.first(where: { $0.name == controlPlane.format }) {
            contracts.append(format.make(controlPlane))
        }
        return contracts
    }
}
