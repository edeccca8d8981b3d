import Foundation
import RelayApplication
import RelayCore

/// An endpoint's JSON body as `EndpointChanges`: this door checks only the JSON types; the ranges and
/// the rules are the application's (`EndpointChanges.apply`, `EndpointSettings`).
enum EndpointInput {
    static func changes(_ body: Data, creating: Bool) throws -> EndpointChanges {
        var reader = try FieldReader(body)
        var changes = EndpointChanges()
        changes.name = creating ? try reader.requiredString("name") : try reader.string("name")
        if let role = creating ? try reader.requiredString("role") : try reader.string("role") {
            guard let parsed = EndpointRole(rawValue: role) else { throw APIError.badRequest("role must be approver or executor", field: "role") }
            changes.role = parsed
        }
        changes.url = creating ? try reader.requiredString("url") : try reader.string("url")
        if creating { changes.secret = try reader.string("secret") } else { changes.enabled = try reader.bool("enabled") }
        changes.headers = try reader.stringMap("headers")
        changes.tools = try reader.strings("tools")
        if reader.has("max_attempts") { changes.maxAttempts = .some(try reader.int("max_attempts")) }
        if reader.has("timeout_ms") { changes.timeoutMs = .some(try reader.int("timeout_ms")) }
        changes.concurrency = try reader.int("concurrency")
        if reader.has("resolution_url") { changes.resolutionURL = .some(try reader.string("resolution_url")) }
        try reader.rejectUnknown()
        return changes
    }
}
