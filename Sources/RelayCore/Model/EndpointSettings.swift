import Foundation

/// What an integrator sets on an endpoint beside its name, role and URL: one value, stored whole, with
/// its ranges here — the API, the command line, the console and the config file all check against these.
/// A new per-endpoint setting is a field of this value (and its line in `problem`), not a column.
public struct EndpointSettings: Sendable, Equatable, Codable {
    /// Static headers sent on every delivery (for example an `Authorization` the adapter wants).
    public var headers: [String: String]
    /// Tool-name patterns this endpoint serves; empty means every tool. `*` matches any run of characters.
    public var tools: [String]
    /// Per-endpoint overrides of the retry policy; nil means the relay's default.
    public var maxAttempts: Int?
    public var timeoutMs: Int?
    /// How many deliveries to this endpoint may be in flight at once.
    public var concurrency: Int
    /// Where a signed `request.resolved` notice goes when a request this endpoint was shown is resolved
    /// elsewhere (SPEC §12); nil: no notice.
    public var resolutionURL: String?

    public init(headers: [String: String] = [:], tools: [String] = [], maxAttempts: Int? = nil, timeoutMs: Int? = nil,
                concurrency: Int, resolutionURL: String? = nil) {
        self.headers = headers
        self.tools = tools
        self.maxAttempts = maxAttempts
        self.timeoutMs = timeoutMs
        self.concurrency = concurrency
        self.resolutionURL = resolutionURL
    }

    public static let concurrencyRange = 1...1024
    public static let maxAttemptsRange = 1...100
    /// The same range as the relay-wide `retry.delivery_timeout_ms`.
    public static let timeoutRange = 100...600_000
    /// Headers the relay sets itself; a static header may not replace them.
    public static let reservedHeaders: Set<String> = [
        "content-type", "content-length", "user-agent", "idempotency-key", "webhook-id", "webhook-timestamp",
        "webhook-signature", "host", "transfer-encoding", "connection",
    ]

    /// What is wrong with these settings, naming the field; nil when they are valid.
    public func problem() -> (field: String, message: String)? {
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            if Self.reservedHeaders.contains(name.lowercased()) {
                return ("headers", "header \(name) is set by the relay and cannot be overridden")
            }
            guard Self.isToken(name) else {
                return ("headers", "header name \(name.debugDescription) is not an HTTP token (letters, digits and !#$%&'*+.^_`|~-)")
            }
            guard Self.isVisibleASCIIValue(value) else {
                return ("headers", "the value of header \(name) must be visible ASCII, without leading or trailing white space")
            }
        }
        if let maxAttempts, !Self.maxAttemptsRange.contains(maxAttempts) { return ("max_attempts", Self.outside("max_attempts", Self.maxAttemptsRange)) }
        if let timeoutMs, !Self.timeoutRange.contains(timeoutMs) { return ("timeout_ms", Self.outside("timeout_ms", Self.timeoutRange)) }
        if !Self.concurrencyRange.contains(concurrency) { return ("concurrency", Self.outside("concurrency", Self.concurrencyRange)) }
        if let resolutionURL, let problem = DeliveryURL.problem(resolutionURL) {
            return ("resolution_url", "resolution_url \(problem)")
        }
        return nil
    }

    static func outside(_ field: String, _ range: ClosedRange<Int>) -> String {
        "\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound)"
    }

    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "!#$%&'*+.^_`|~-".unicodeScalars.contains($0)) }
    }

    /// A header value that every HTTP stack passes through unchanged: visible ASCII, inner spaces and tabs.
    static func isVisibleASCIIValue(_ value: String) -> Bool {
        let scalars = Array(value.unicodeScalars)
        let visible: (Unicode.Scalar) -> Bool = { (0x21...0x7E).contains($0.value) }
        guard let first = scalars.first, let last = scalars.last else { return true }
        return visible(first) && visible(last) && scalars.allSatisfy { visible($0) || $0 == " " || $0 == "\t" }
    }

    enum CodingKeys: String, CodingKey {
        case headers, tools, concurrency
        case maxAttempts = "max_attempts"
        case timeoutMs = "timeout_ms"
        case resolutionURL = "resolution_url"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        headers = try container.decodeIfPresent([String: String].self, forKey: .headers) ?? [:]
        tools = try container.decodeIfPresent([String].self, forKey: .tools) ?? []
        maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts)
        timeoutMs = try container.decodeIfPresent(Int.self, forKey: .timeoutMs)
        concurrency = try container.decodeIfPresent(Int.self, forKey: .concurrency) ?? 8
        resolutionURL = try container.decodeIfPresent(String.self, forKey: .resolutionURL)
    }
}

extension EndpointSettings {
    /// The one place an endpoint's effective policy is computed: the relay's retry policy with this
    /// endpoint's overrides. The dispatcher retries by it; the claim's lease lasts its attempt timeout.
    public func policy(over relay: RetryPolicy) -> RetryPolicy {
        var policy = relay
        if let maxAttempts { policy.maxAttempts = maxAttempts }
        policy.attemptTimeout = attemptTimeout(default: relay.attemptTimeout)
        return policy
    }

    public func attemptTimeout(default relay: TimeInterval) -> TimeInterval {
        timeoutMs.map { TimeInterval($0) / 1000 } ?? relay
    }
}

/// An endpoint's name: what the API, the console and the config file accept.
public enum EndpointName {
    public static func problem(_ name: String) -> String? {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard (1...64).contains(name.count), name.unicodeScalars.allSatisfy({ allowed.contains($0) && $0.isASCII }) else {
            return "name must be 1-64 characters of letters, digits, '-', '_' or '.'"
        }
        return nil
    }
}
