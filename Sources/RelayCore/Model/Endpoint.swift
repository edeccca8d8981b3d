import Foundation

/// An adapter registered by an integrator.
public struct Endpoint: Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: EndpointRole
    public var url: String
    /// Signing secrets, newest first; during a rotation the older ones carry an expiry.
    public var secrets: [SigningSecret]
    /// Headers, tools and limits: one value, stored whole.
    public var settings: EndpointSettings
    public var enabled: Bool
    /// Why the endpoint was disabled, when it was (for example `gone` after a 410).
    public var disabledReason: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// Failed attempts in a row (kept by the store; reset by a success).
    public var consecutiveFailures: Int = 0
    /// While the circuit is open: when the next probe may go (kept by the store).
    public var nextProbeAt: Date?
    /// The config file that declares this endpoint (SPEC §15), if one does: it is changed there, not through the API.
    public var declaredIn: String?

    public init(
        id: String, name: String, role: EndpointRole, url: String, secrets: [SigningSecret],
        headers: [String: String] = [:], tools: [String] = [], maxAttempts: Int? = nil, timeoutMs: Int? = nil,
        concurrency: Int, enabled: Bool = true, disabledReason: String? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.role = role
        self.url = url
        self.secrets = secrets
        self.settings = EndpointSettings(headers: headers, tools: tools, maxAttempts: maxAttempts, timeoutMs: timeoutMs,
                                         concurrency: concurrency)
        self.enabled = enabled
        self.disabledReason = disabledReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var headers: [String: String] { get { settings.headers } set { settings.headers = newValue } }
    public var tools: [String] { get { settings.tools } set { settings.tools = newValue } }
    public var maxAttempts: Int? { get { settings.maxAttempts } set { settings.maxAttempts = newValue } }
    public var timeoutMs: Int? { get { settings.timeoutMs } set { settings.timeoutMs = newValue } }
    public var concurrency: Int { get { settings.concurrency } set { settings.concurrency = newValue } }

    /// True when this endpoint's tool filter admits `tool`.
    public func serves(tool: String) -> Bool {
        tools.isEmpty || tools.contains { ToolPattern.matches($0, tool) }
    }

    /// The secrets that still sign at `date` (expired rotation leftovers drop out).
    public func activeSecrets(at date: Date) -> [SigningSecret] {
        secrets.filter { $0.expiresAt.map { $0 > date } ?? true }
    }
}

/// One signing secret and, for a rotated-out secret, when it stops signing.
public struct SigningSecret: Sendable, Equatable, Codable {
    public var secret: String
    public var expiresAt: Date?

    public init(secret: String, expiresAt: Date? = nil) {
        self.secret = secret
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case secret
        case expiresAt = "expires_at"
    }
}

/// Glob matching for tool filters: `*` matches any run of characters, everything else is literal.
public enum ToolPattern {
    /// True when `name` matches `pattern`.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 { return pattern == name }
        var rest = Substring(name)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts.last!)
    }
}
