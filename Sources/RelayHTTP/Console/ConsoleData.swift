import Foundation
import RelayApplication
import RelayCore

/// Turns the admin API's views into what the templates read: the same JSON the API answers with, as
/// plain Swift values (Mustache reads dictionaries and arrays; a JSON null becomes a missing key).
enum ConsoleData {
    static func from(_ view: some Encodable) -> [String: Any] {
        guard let json = JSONValue.parse(JSONResponse.encode(view)), case .object = json,
              let value = plain(json) as? [String: Any] else { return [:] }
        return value
    }

    static func plain(_ value: JSONValue) -> Any? {
        switch value {
        case .null: nil
        case .bool(let flag): flag
        case .integer(let number): Int(number)
        case .number(let number): number
        case .string(let text): text
        case .array(let items): items.compactMap(plain)
        case .object(let fields): fields.compactMapValues(plain)
        }
    }

    /// "97.5 %", or a dash without attempts.
    static func percent(_ rate: Double?) -> String {
        guard let rate else { return "—" }
        return String(format: "%.1f %%", rate * 100)
    }

    static func iso(_ date: Date?) -> String? {
        date.map { APITime.format($0) }
    }
}
