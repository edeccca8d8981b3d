import Foundation
import RelayCore
import RelayDelivery

/// Times on the wire: ISO 8601, UTC, milliseconds.
public enum APITime {
    public static func format(_ date: Date) -> String {
        ISO8601.string(date)
    }

    /// Parses ISO 8601 (with or without fractional seconds) or unix seconds.
    public static func parse(_ text: String) -> Date? {
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let seconds = Double(text) {
            return Date(timeIntervalSince1970: seconds)
        }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A time filter (`since`, `until`) as a door gives it: nil when not given or empty (as forms send it), else a
    /// time or a refusal naming `field`.
    public static func filter(_ text: String?, field: String) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        guard let date = parse(text) else { throw RelayError.invalid("\(field) must be an ISO 8601 time or unix seconds", field: field) }
        return date
    }
}

/// The documents' JSON: snake_case keys, ISO 8601 times, sorted keys for stable output — the API answers
/// with it and the command line prints it.
public enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(APITime.format(date))
        }
        return encoder
    }()

    public static func encode(_ value: some Encodable) -> Data {
        (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}
