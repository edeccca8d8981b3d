import Foundation
import RelayCore

/// The configured control plane (SPEC §6.2, §6.3, `control_plane.*`): its format names its contract.
public struct ControlPlaneSettings: Sendable, Equatable {
    public var url: String
    public var format: String
    /// Sent as `X-Codex-MCP-Token` (codex-k8s).
    public var token: String?
    /// `control_plane.secret` as configured: kodex's HMAC key is the secret's text itself.
    public var rawSecret: String?
    /// The same secret read as `whsec_…`, which signs the forwards of native and codex-k8s; nil when it is not one.
    public var secret: WebhookSecret? { rawSecret.flatMap { WebhookSecret($0) } }
    /// kodex: the `{callback_source}` of its external-callback path, which its operator allows.
    public var callbackSource: String

    public init(url: String, format: String, token: String? = nil, secret: WebhookSecret? = nil, rawSecret: String? = nil,
                callbackSource: String = "webhook-relay") {
        self.url = url
        self.format = format
        self.token = token
        self.rawSecret = rawSecret ?? secret?.description
        self.callbackSource = callbackSource
    }
}

/// A control-plane format: its name, its contract, and what its settings must hold.
public struct ControlPlaneFormat: Sendable {
    public var name: String
    public var make: @Sendable (ControlPlaneSettings) -> any ForwardContract
    /// What is missing or wrong in the settings for this format, naming the setting; nil when they will do.
    public var problem: @Sendable (ControlPlaneSettings) -> String?

    /// The formats whose forwards are Standard-Webhooks-signed: a secret, when set, must be a `whsec_` one.
    static let whsecSecret: @Sendable (ControlPlaneSettings) -> String? = { settings in
        settings.rawSecret != nil && settings.secret == nil ? "control_plane.secret must be whsec_ followed by the base64 of 24 to 64 bytes" : nil
    }
}

/// The one place the wire contracts are registered: a new contract is a folder beside these and a line here.
public enum Contracts {
    /// The control-plane formats `control_plane.format` may name, each making its forward contract.
    public static let controlPlaneFormats: [ControlPlaneFormat] = [
        ControlPlaneFormat(name: "codex-k8s", make: { CodexK8sForwards(settings: $0) }, problem: ControlPlaneFormat.whsecSecret),
        ControlPlaneFormat(name: "native", make: { NativeForwards(settings: $0) }, problem: ControlPlaneFormat.whsecSecret),
        ControlPlaneFormat(name: "kodex", make: { KodexForwards(settings: $0) }, problem: { settings in
            guard let secret = settings.rawSecret else {
                return "control_plane.secret (RELAY_CONTROL_PLANE_SECRET) is required with format kodex: integration-gateway refuses unsigned callbacks; use the value of its KODEX_EXTERNAL_CALLBACK_SECRET"
            }
            if let problem = SecretStrength.problem(secret, minimumBytes: SecretStrength.minimumTokenBytes) { return "control_plane.secret \(problem)" }
            guard settings.callbackSource.range(of: "^[a-z0-9][a-z0-9-]{1,62}$", options: .regularExpression) != nil else {
                return "control_plane.callback_source must be 2 to 63 lowercase letters, digits and '-', starting with a letter or digit (kodex's pattern)"
            }
            return nil
        }),
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
