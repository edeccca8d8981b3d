import Foundation
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery

/// Reads a JSON object's fields with errors that name the field; refuses fields it was not asked about.
struct FieldReader {
    private let object: [String: JSONValue]
    private var seen: Set<String> = []

    init(_ body: Data) throws {
        guard let value = JSONValue.parse(body) else {
            throw APIError.badRequest("the body is not valid JSON", field: nil)
        }
        guard let object = value.objectValue else {
            throw APIError.badRequest("the body must be a JSON object", field: nil)
        }
        self.object = object
    }

    /// True when the body names `field` (even as null).
    func has(_ field: String) -> Bool { object[field] != nil }

    mutating func string(_ field: String) throws -> String? {
        seen.insert(field)
        guard let value = object[field], value != .null else { return nil }
        guard let text = value.stringValue else { throw APIError.badRequest("\(field) must be a string", field: field) }
        return text
    }

    mutating func requiredString(_ field: String) throws -> String {
        guard let text = try string(field), !text.isEmpty else {
            throw APIError.badRequest("\(field) is required", field: field)
        }
        return text
    }

    /// A whole number; its range is the caller's rule.
    mutating func int(_ field: String) throws -> Int? {
        seen.insert(field)
        guard let value = object[field], value != .null else { return nil }
        guard let number = value.int64Value, let int = Int(exactly: number) else {
            throw APIError.badRequest("\(field) must be a whole number", field: field)
        }
        return int
    }

    mutating func bool(_ field: String) throws -> Bool? {
        seen.insert(field)
        guard let value = object[field], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw APIError.badRequest("\(field) must be true or false", field: field) }
        return flag
    }

    mutating func strings(_ field: String) throws -> [String]? {
        seen.insert(field)
        guard let value = object[field], value != .null else { return nil }
        guard let items = value.arrayValue else { throw APIError.badRequest("\(field) must be an array of strings", field: field) }
        return try items.map {
            guard let text = $0.stringValue, !text.isEmpty else {
                throw APIError.badRequest("\(field) must be an array of non-empty strings", field: field)
            }
            return text
        }
    }

    mutating func stringMap(_ field: String) throws -> [String: String]? {
        seen.insert(field)
        guard let value = object[field], value != .null else { return nil }
        guard let members = value.objectValue else { throw APIError.badRequest("\(field) must be an object of strings", field: field) }
        return try members.mapValues {
            guard let text = $0.stringValue else {
                throw APIError.badRequest("\(field) must be an object whose values are strings", field: field)
            }
            return text
        }
    }

    /// Refuses fields the route did not read: a typo should fail loudly, not be ignored.
    func rejectUnknown() throws {
        if let unknown = object.keys.sorted().first(where: { !seen.contains($0) }) {
            throw APIError.badRequest("unknown field \(unknown)", field: unknown)
        }
    }
}

extension Parameters {
    /// Refuses a query parameter the route does not take (400 naming it), so that a misspelt filter is not silently ignored.
    func requireKnown(_ names: [String]) throws {
        let known = Set(names)
        for (name, _) in self where !known.contains(String(name)) {
            throw APIError.badRequest("unknown query parameter \(name); use \(known.sorted().joined(separator: ", "))", field: String(name))
        }
    }
}
