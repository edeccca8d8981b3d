import Foundation
import RelayCore
import RelayDelivery

/// What an admin sets on an endpoint, typed: the API's JSON body, the command line's flags and the config
/// file's `endpoints:` entries all become this, and one place (`apply`) checks it.
public struct EndpointChanges: Sendable, Equatable {
    public var name: String?
    public var role: EndpointRole?
    public var url: String?
    public var enabled: Bool?
    public var headers: [String: String]?
    public var tools: [String]?
    /// `.some(nil)` clears the override (back to the relay's default); nil leaves it as it is.
    public var maxAttempts: Int??
    public var timeoutMs: Int??
    public var concurrency: Int?
    /// `.some(nil)` removes the resolution URL; nil leaves it as it is.
    public var resolutionURL: String??
    /// A secret to register instead of a generated one (create only), `whsec_…`.
    public var secret: String?

    public init(name: String? = nil, role: EndpointRole? = nil, url: String? = nil, enabled: Bool? = nil,
                headers: [String: String]? = nil, tools: [String]? = nil, maxAttempts: Int?? = nil, timeoutMs: Int?? = nil,
                concurrency: Int? = nil, resolutionURL: String?? = nil, secret: String? = nil) {
        self.resolutionURL = resolutionURL
        self.name = name
        self.role = role
        self.url = url
        self.enabled = enabled
        self.headers = headers
        self.tools = tools
        self.maxAttempts = maxAttempts
        self.timeoutMs = timeoutMs
        self.concurrency = concurrency
        self.secret = secret
    }

    /// `endpoint` with these changes, checked: the name, the URL, and the settings' ranges (`EndpointSettings`).
    public func apply(to endpoint: Endpoint) throws -> Endpoint {
        var changed = endpoint
        if let name {
            if let problem = EndpointName.problem(name) { throw RelayError.invalid(problem, field: "name") }
            changed.name = name
        }
        if let role { changed.role = role }
        if let url {
            if let problem = DeliveryURL.problem(url) { throw RelayError.invalid("url \(problem)", field: "url") }
            if let refusal = DeliveryURL.refusal(url) { throw RelayError(.refused, code: "url_refused", "url \(refusal)", field: "url") }
            changed.url = url
        }
        if let enabled {
            changed.enabled = enabled
            changed.disabledReason = enabled ? nil : "disabled by an admin"
        }
        if let headers { changed.settings.headers = headers }
        if let tools {
            if tools.contains(where: \.isEmpty) { throw RelayError.invalid("tools must be an array of non-empty strings", field: "tools") }
            changed.settings.tools = tools
        }
        if let maxAttempts { changed.settings.maxAttempts = maxAttempts }
        if let timeoutMs { changed.settings.timeoutMs = timeoutMs }
        if let concurrency { changed.settings.concurrency = concurrency }
        if let resolutionURL {
            if let url = resolutionURL, let refusal = DeliveryURL.refusal(url) {
                throw RelayError(.refused, code: "url_refused", "resolution_url \(refusal)", field: "resolution_url")
            }
            changed.settings.resolutionURL = resolutionURL
        }
        if let problem = changed.settings.problem() { throw RelayError.invalid(problem.message, field: problem.field) }
        if let secret, WebhookSecret(secret) == nil {
            throw RelayError.invalid("secret must be whsec_ followed by the base64 of 24 to 64 random bytes (whsec_$(openssl rand -base64 32)); leave it out to have one generated", field: "secret")
        }
        return changed
    }
}
