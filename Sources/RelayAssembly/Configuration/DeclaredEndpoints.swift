import Foundation
import RelayApplication
import RelayCore

/// The config file's `endpoints:` list (SPEC §15), read into complete `EndpointChanges`: the file is the whole
/// truth, so a setting it leaves out is the relay's default, stated here. Secrets and header
/// values that are secrets are given by reference — `secret_env: NAME` / `secret_file: PATH`, a header as
/// `{env: NAME}` or `{file: PATH}` — and read here, so a missing variable or file stops the start naming it.
enum DeclaredEndpoints {
    static let fields: Set<String> = [
        "name", "role", "url", "enabled", "headers", "tools", "max_attempts", "timeout_ms", "concurrency", "resolution_url", "secret_env",
        "secret_file",
    ]

    static func read(_ entries: [Any], file: String, environment: [String: String], defaultConcurrency: Int) throws -> [EndpointChanges] {
        var seen: Set<String> = []
        return try entries.enumerated().map { index, entry in
            let place = "\(file): endpoints[\(index)]"
            guard let mapping = entry as? [String: Any] else { throw ConfigurationError("\(place) must be a mapping (name, role, url, …)") }
            let name = mapping["name"].map { "\($0)" } ?? ""
            let at = name.isEmpty ? place : "\(place) (\(name))"
            if let unknown = mapping.keys.sorted().first(where: { !fields.contains($0) }) {
                throw ConfigurationError("\(at): unknown field \(unknown); the fields are \(fields.sorted().joined(separator: ", "))")
            }
            guard !name.isEmpty else { throw ConfigurationError("\(place): name is required") }
            guard seen.insert(name).inserted else { throw ConfigurationError("\(at): the name \(name) is declared twice") }
            func text(_ field: String) throws -> String? {
                switch mapping[field] {
                case nil, is NSNull: return nil
                case let value as String: return value
                case let value as Int: return String(value)
                default: throw ConfigurationError("\(at): \(field) must be a string")
                }
            }
            func int(_ field: String) throws -> Int?? {
                switch mapping[field] {
                case nil: return nil
                case is NSNull: return .some(nil)
                case let value as Int: return .some(value)
                default: throw ConfigurationError("\(at): \(field) must be a whole number")
                }
            }
            guard let roleText = try text("role"), let role = EndpointRole(rawValue: roleText) else {
                throw ConfigurationError("\(at): role must be approver or executor")
            }
            var changes = EndpointChanges(name: name, role: role, url: try text("url"))
            guard changes.url != nil else { throw ConfigurationError("\(at): url is required") }
            switch mapping["enabled"] {
            case nil, is NSNull: changes.enabled = true
            case let flag as Bool: changes.enabled = flag
            default: throw ConfigurationError("\(at): enabled must be true or false")
            }
            changes.headers = [:]
            if let headers = mapping["headers"], !(headers is NSNull) {
                guard let headers = headers as? [String: Any] else { throw ConfigurationError("\(at): headers must be a mapping of names to values") }
                changes.headers = try headers.mapValues { value in try reference(value, what: "a header value", at: at, environment: environment) }
            }
            changes.tools = []
            if let tools = mapping["tools"], !(tools is NSNull) {
                guard let tools = tools as? [Any] else { throw ConfigurationError("\(at): tools must be a list of tool-name patterns") }
                changes.tools = tools.map { "\($0)" }
            }
            changes.maxAttempts = .some(try int("max_attempts") ?? nil)
            changes.timeoutMs = .some(try int("timeout_ms") ?? nil)
            changes.concurrency = (try int("concurrency") ?? nil) ?? defaultConcurrency
            changes.resolutionURL = .some(try text("resolution_url"))
            var secret: String?
            if let variable = try text("secret_env") {
                secret = try reference(["env": variable], what: "secret", at: at, environment: environment)
            }
            if let path = try text("secret_file") {
                guard secret == nil else { throw ConfigurationError("\(at): give secret_env or secret_file, not both") }
                secret = try reference(["file": path], what: "secret", at: at, environment: environment)
            }
            changes.secret = secret
            // The rules the API applies (name, URL, ranges), checked now so a bad entry stops the start, not the first delivery.
            let probe = Endpoint(id: "check", name: name, role: role, url: "http://check.invalid", secrets: [], concurrency: 8,
                                 createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0))
            do {
                _ = try changes.apply(to: probe)
            } catch let error as RelayError {
                throw ConfigurationError("\(at): \(error.message)")
            }
            return changes
        }
    }

    /// A value given inline, or by `{env: NAME}` / `{file: PATH}` (the file's content, trailing newline removed).
    static func reference(_ value: Any, what: String, at: String, environment: [String: String]) throws -> String {
        if let text = value as? String { return text }
        guard let mapping = value as? [String: Any], mapping.count == 1 else {
            throw ConfigurationError("\(at): \(what) must be a string, {env: NAME} or {file: PATH}")
        }
        if let variable = mapping["env"].map({ "\($0)" }) {
            guard let found = environment[variable], !found.isEmpty else {
                throw ConfigurationError("\(at): the environment variable \(variable) named for its \(what) is not set")
            }
            return found
        }
        if let path = mapping["file"].map({ "\($0)" }) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("\(at): the file \(path) named for its \(what) cannot be read")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        throw ConfigurationError("\(at): \(what) must be a string, {env: NAME} or {file: PATH}")
    }
}
