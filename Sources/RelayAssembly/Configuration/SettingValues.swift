import Foundation
import Yams

/// Setting values after the file and the environment have been read: the environment wins.
struct SettingValues {
    private(set) var values: [String: String] = [:]
    /// Where each value came from, for error messages.
    private(set) var origins: [String: String] = [:]

    /// Reads `path` (when it exists, or always when `required`) and then the environment.
    static func load(path: String, required: Bool, environment: [String: String]) throws -> SettingValues {
        var result = SettingValues()
        for setting in Setting.all {
            if let value = setting.defaultValue {
                result.values[setting.key] = value
                result.origins[setting.key] = "the default"
            }
        }
        if FileManager.default.fileExists(atPath: path) {
            try result.read(file: path)
        } else if required {
            throw ConfigurationError("config file \(path) does not exist; pass --config with an existing file")
        }
        for setting in Setting.all {
            if let value = environment[setting.environment], !value.isEmpty {
                result.values[setting.key] = value
                result.origins[setting.key] = setting.environment
            }
        }
        return result
    }

    private mutating func read(file path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("cannot read config file \(path): \(error.localizedDescription)")
        }
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw ConfigurationError("\(path) is not valid YAML: \(error)")
        }
        guard let root else { return }
        guard let mapping = root as? [String: Any] else {
            throw ConfigurationError("\(path) must be a mapping of settings")
        }
        let known = Set(Setting.all.map(\.key))
        for (key, value) in Self.flatten(mapping, prefix: "") {
            guard known.contains(key) else {
                throw ConfigurationError("\(path): unknown setting \(key); the settings are listed in Config/relay.yaml")
            }
            guard let value else { continue }
            values[key] = value
            origins[key] = "\(path) (\(key))"
        }
    }

    private static func flatten(_ mapping: [String: Any], prefix: String) -> [(String, String?)] {
        mapping.flatMap { key, value -> [(String, String?)] in
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            switch value {
            case let nested as [String: Any]: return flatten(nested, prefix: path)
            case let list as [Any]: return [(path, list.map { "\($0)" }.joined(separator: ","))]
            case is NSNull: return [(path, nil)]
            default:
                let text = "\(value)"
                return [(path, text.isEmpty ? nil : text)]
            }
        }
    }

    func string(_ key: String) -> String? {
        values[key].flatMap { $0.isEmpty ? nil : $0 }
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int {
        guard let text = string(key), let value = Int(text), range.contains(value) else {
            throw ConfigurationError("\(key) (from \(origins[key] ?? "?")) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func bool(_ key: String) throws -> Bool {
        switch string(key)?.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigurationError("\(key) (from \(origins[key] ?? "?")) must be true or false")
        }
    }

    func origin(_ key: String) -> String { origins[key] ?? "the default" }
}
