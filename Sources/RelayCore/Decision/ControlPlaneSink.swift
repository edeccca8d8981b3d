import Foundation

/// The configured control plane that receives decisions (SPEC §6.2, §6.3).
public struct ControlPlaneSink: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        case codexK8s = "codex-k8s"
        case native
    }

    public var url: String
    public var format: Format
    /// Sent as `X-Codex-MCP-Token` (codex-k8s).
    public var token: String?
    /// `whsec_…`: signs forwards (native, and any forward when set).
    public var secret: String?

    public init(url: String, format: Format, token: String? = nil, secret: String? = nil) {
        self.url = url
        self.format = format
        self.token = token
        self.secret = secret
    }

    /// True when this sink receives the decisions of a request (codex-k8s only knows numbered requests).
    public func receives(approvalRequestId: Int64?) -> Bool {
        switch format {
        case .native: true
        case .codexK8s: approvalRequestId != nil
        }
    }
}
