import Foundation
import HTTPTypes
import Logging
import NIOCore
import RelayCore
import RelayDelivery

/// Validation of the fields an admin sets on an endpoint, shared by create and update.
enum EndpointInput {
    static let concurrencyRange = 1...1024
    static let maxAttemptsRange = 1...100
    static let timeoutRange = 100...300_000
    /// Headers the relay sets itself; a static header may not replace them.
    static let reservedHeaders: Set<String> = [
        "content-type", "content-length", "user-agent", "idempotency-key", "webhook-id", "webhook-timestamp",
        "webhook-signature", "host", "transfer-encoding", "connection",
    ]

    static func create(_ reader: inout FieldReader, id: String, secret: String, defaultConcurrency: Int, now: Date) throws -> Endpoint {
        let name = try validName(try reader.requiredString("name"))
        let roleText = try reader.requiredString("role")
        guard let role = EndpointRole(rawValue: roleText) else {
            throw APIError.badRequest("role must be approver or executor", field: "role")
        }
        var endpoint = Endpoint(
            id: id, name: name, role: role, url: try validURL(try reader.requiredString("url")),
            secrets: [SigningSecret(secret: secret)], concurrency: defaultConcurrency, createdAt: now, updatedAt: now
        )
        try readOptional(&endpoint, &reader)
        return endpoint
    }

    static func update(_ endpoint: inout Endpoint, _ reader: inout FieldReader) throws {
        if let name = try reader.string("name") { endpoint.name = try validName(name) }
        if let role = try reader.string("role") {
            guard let parsed = EndpointRole(rawValue: role) else {
                throw APIError.badRequest("role must be approver or executor", field: "role")
            }
            endpoint.role = parsed
        }
        if let url = try reader.string("url") { endpoint.url = try validURL(url) }
        if let enabled = try reader.bool("enabled") {
            endpoint.enabled = enabled
            endpoint.disabledReason = enabled ? nil : "disabled by an admin"
        }
        try readOptional(&endpoint, &reader)
    }

    private static func readOptional(_ endpoint: inout Endpoint, _ reader: inout FieldReader) throws {
        if let headers = try reader.stringMap("headers") {
            if let reserved = headers.keys.first(where: { reservedHeaders.contains($0.lowercased()) }) {
                throw APIError.badRequest("header \(reserved) is set by the relay and cannot be overridden", field: "headers")
            }
            for (name, value) in headers {
                guard isToken(name) else {
                    throw APIError.badRequest("header name \(name.debugDescription) is not an HTTP token (letters, digits and !#$%&'*+.^_`|~-)", field: "headers")
                }
                guard isVisibleASCIIValue(value) else {
                    throw APIError.badRequest("the value of header \(name) must be visible ASCII, without leading or trailing white space", field: "headers")
                }
            }
            endpoint.headers = headers
        }
        if let tools = try reader.strings("tools") { endpoint.tools = tools }
        if reader.has("max_attempts") { endpoint.maxAttempts = try reader.int("max_attempts", in: maxAttemptsRange) }
        if reader.has("timeout_ms") { endpoint.timeoutMs = try reader.int("timeout_ms", in: timeoutRange) }
        if let concurrency = try reader.int("concurrency", in: concurrencyRange) { endpoint.concurrency = concurrency }
    }

    static func validName(_ name: String) throws -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard (1...64).contains(name.count), name.unicodeScalars.allSatisfy({ allowed.contains($0) && $0.isASCII }) else {
            throw APIError.badRequest("name must be 1-64 characters of letters, digits, '-', '_' or '.'", field: "name")
        }
        return name
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

    static func validURL(_ text: String) throws -> String {
        if let problem = DeliveryURL.problem(text) {
            throw APIError.badRequest("url \(problem)", field: "url")
        }
        if let refusal = DeliveryURL.refusal(text) {
            throw APIError(.unprocessableContent, code: "url_refused", "url \(refusal)", field: "url")
        }
        return text
    }
}
