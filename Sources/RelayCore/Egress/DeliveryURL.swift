import Foundation

/// Which URLs the relay accepts as a place to deliver to (endpoint URLs, callback URLs). Besides being
/// absolute http(s) (`problem`: a malformed request, 400), a host that is a number must be a canonical dotted
/// quad (`refusal`: a well-formed URL the relay will not use, 422): `0177.0.0.1`, `0x7f.1` and `2130706433`
/// all mean 127.0.0.1 to a resolver while looking like something else to a reader or to an allow-list (SPEC §11).
public enum DeliveryURL {
    /// What is wrong with `text` as a URL, or nil when it is an absolute http(s) URL.
    public static func problem(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            return "must be an absolute http or https URL"
        }
        return nil
    }

    /// Why the relay will not deliver to the well-formed URL `text`, or nil.
    public static func refusal(_ text: String) -> String? {
        guard let host = URL(string: text)?.host, let literal = nonCanonicalIPv4(host) else { return nil }
        return "has the host \(literal), an IPv4 address written in a form resolvers read differently (octal, hex or fewer than four parts); write it as four decimal numbers, such as 127.0.0.1"
    }

    /// The host, when it is a number-like IPv4 form other than a canonical dotted quad.
    static func nonCanonicalIPv4(_ host: String) -> String? {
        let trimmed = host.hasSuffix(".") ? String(host.dropLast()) : host
        let labels = trimmed.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // As in the WHATWG URL parser: a host whose last label is a number is an IPv4 address.
        guard let last = labels.last, isNumber(last) else { return nil }
        let canonical = labels.count == 4 && labels.allSatisfy { label in
            guard let value = Int(label), label.allSatisfy(\.isASCII), label.allSatisfy(\.isNumber), value <= 255 else { return false }
            return label == String(value)
        }
        return canonical ? nil : host
    }

    private static func isNumber(_ label: String) -> Bool {
        let lower = label.lowercased()
        if lower.hasPrefix("0x") { return lower.dropFirst(2).allSatisfy(\.isHexDigit) }
        return !lower.isEmpty && lower.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
