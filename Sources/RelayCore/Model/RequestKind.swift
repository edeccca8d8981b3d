/// What the control plane asks for: a decision (approval) or an action (execution).
public enum RequestKind: String, Sendable, Codable, CaseIterable {
    case approval
    case execution

    /// The endpoint role that serves this kind of request.
    public var role: EndpointRole {
        switch self {
        case .approval: .approver
        case .execution: .executor
        }
    }
}

/// What an adapter does: decides approvals or runs executions.
public enum EndpointRole: String, Sendable, Codable, CaseIterable {
    case approver
    case executor
}
