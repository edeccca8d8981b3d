import Configuration
import Foundation
import Yams

/// The settings as swift-configuration reads them: the environment (each `Setting`'s documented `RELAY_*`
/// name, through a key mapping), then the config file, then the defaults — the first that has a value
/// wins. Every value is checked against its `Setting` here, and a refusal names the setting and where its
/// value came from.
///
/// The file is walked with Yams rather than read by swift-configuration's YAML provider: that provider
/// refuses a list of mappings anywhere in the file (the `endpoints:` list is one) and cannot list the keys
/// it read, so a misspelt key could not stop the start. What the walk finds goes to swift-configuration as
/// an in-memory provider named after the file.
struct SettingValues {
    let reader: ConfigReader
    let providers: [any ConfigProvider]
    /// The `endpoints:` entries of the file, as Yams read them (`DeclaredEndpoints` checks them).
    let declaredEndpoints: [Any]
    /// The file, when it was read.
    let file: String?

    static func load(path: String, required: Bool, environment: [String: String]) throws -> SettingValues {
        var fileValues: [AbsoluteConfigKey: ConfigValue] = [:]
        var declared: [Any] = []
        var file: String?
        if FileManager.default.fileExists(atPath: path) {
            let mapping = try Self.read(file: path)
            declared = try Self.endpointsList(mapping["endpoints"], path: path)
            for (key, value) in try Self.flatten(mapping.filter { $0.key != "endpoints" }, prefix: "", path: path) {
                fileValues[AbsoluteConfigKey(ConfigKey(key))] = ConfigValue(.string(value), isSecret: Self.isSecret(key))
            }
            file = path
        } else if required {
            throw ConfigurationError("config file \(path) does not exist; pass --config with an existing file")
        }
        // An empty variable counts as unset, so that `RELAY_X=` in a manifest does not hide the file's value.
        let documented = Set(Setting.all.map(\.environment))
        let variables = environment.filter { !$0.value.isEmpty && documented.contains($0.key) }
        let secretNames = Set(Setting.all.filter { Self.isSecret($0.key) }.map(\.environment))
        let env = EnvironmentVariablesProvider(environmentVariables: variables, secretsSpecifier: .specific(secretNames), arraySeparator: ",")
            .mapKeys { key in
                // Each setting's documented name, not swift-configuration's derived one (RELAY_EGRESS is egress.mode).
                AbsoluteConfigKey([Setting.byKey[key.components.joined(separator: ".")]?.environment ?? "RELAY_UNKNOWN_SETTING"],
                                  context: key.context)
            }
        var defaults: [AbsoluteConfigKey: ConfigValue] = [:]
        for setting in Setting.all {
            if let value = setting.defaultValue { defaults[AbsoluteConfigKey(ConfigKey(setting.key))] = ConfigValue(.string(value), isSecret: false) }
        }
        let providers: [any ConfigProvider] = [
            env, InMemoryProvider(name: file ?? "the config file", values: fileValues), InMemoryProvider(name: "the default", values: defaults),
        ]
        return SettingValues(reader: ConfigReader(providers: providers), providers: providers, declaredEndpoints: declared, file: file)
    }

    static func isSecret(_ key: String) -> Bool {
        if case .secret = Setting.byKey[key]?.kind { return true }
        return false
    }

    private static func read(file path: String) throws -> [String: Any] {
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
        guard let root else { return [:] }
        guard let mapping = root as? [String: Any] else { throw ConfigurationError("\(path) must be a mapping of settings") }
        return mapping
    }

    private static func endpointsList(_ value: Any?, path: String) throws -> [Any] {
        switch value {
        case nil, is NSNull: return []
        case let list as [Any]: return list
        default: throw ConfigurationError("\(path): endpoints must be a list of endpoints (- name: …, role: …, url: …)")
        }
    }

    /// The file's settings by dotted key; a key no `Setting` declares stops the start.
    private static func flatten(_ mapping: [String: Any], prefix: String, path: String) throws -> [(String, String)] {
        try mapping.flatMap { key, value -> [(String, String)] in
            let dotted = prefix.isEmpty ? key : "\(prefix).\(key)"
            if let nested = value as? [String: Any] { return try flatten(nested, prefix: dotted, path: path) }
            guard Setting.byKey[dotted] != nil else {
                throw ConfigurationError("\(path): unknown setting \(dotted); the settings are listed in Config/relay.yaml")
            }
            switch value {
            case let list as [Any]: return list.isEmpty ? [] : [(dotted, list.map { "\($0)" }.joined(separator: ","))]
            case is NSNull: return []
            default:
                let text = "\(value)"
                return text.isEmpty ? [] : [(dotted, text)]
            }
        }
    }

    // MARK: Checked reads

    func string(_ key: String) -> String? {
        reader.string(forKey: ConfigKey(key), isSecret: Self.isSecret(key)).flatMap { $0.isEmpty ? nil : $0 }
    }

    func int(_ key: String) throws -> Int {
        guard case .int(let range) = Setting.byKey[key]?.kind else { preconditionFailure("\(key) is not declared as a number") }
        guard let text = string(key), let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw ConfigurationError("\(key) (from \(origin(key))) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func bool(_ key: String) throws -> Bool {
        switch string(key)?.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigurationError("\(key) (from \(origin(key))) must be true or false")
        }
    }

    /// One of the setting's declared choices (case-insensitive).
    func choice(_ key: String) throws -> String {
        guard case .choice(let choices) = Setting.byKey[key]?.kind else { preconditionFailure("\(key) is not declared as a choice") }
        guard let text = string(key)?.lowercased(), choices.contains(text) else {
            throw ConfigurationError("\(key) (from \(origin(key))) must be one of \(choices.joined(separator: ", "))")
        }
        return text
    }

    func list(_ key: String) -> [String] {
        (string(key) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Where the value of `key` came from, for messages: the variable's name, the file and key, or the default.
    func origin(_ key: String) -> String {
        let absolute = AbsoluteConfigKey(ConfigKey(key))
        for (index, provider) in providers.enumerated() {
            guard let found = try? provider.value(forKey: absolute, type: .string), found.value != nil else { continue }
            switch index {
            case 0: return found.encodedKey
            case 1: return "\(file ?? "the config file") (\(key))"
            default: return "the default"
            }
        }
        return "the default"
    }
}
