import Foundation

/// Which addresses the relay may deliver to (SPEC §4, egress safety). Link-local and cloud-metadata
/// ranges are always refused; `strict` also refuses loopback and private ranges unless `allow` names them.
public struct EgressPolicy: Sendable, Equatable {
    public enum Mode: String, Sendable {
        /// In-cluster adapters resolve to private addresses, so only link-local / metadata is refused.
        case `default`
        /// Loopback and private ranges are refused too, unless allowed.
        case strict
    }

    public var mode: Mode
    public var allow: [IPRange]

    public init(mode: Mode = .default, allow: [IPRange] = []) {
        self.mode = mode
        self.allow = allow
    }

    /// Always refused, in every mode: IPv4 link-local (which holds 169.254.169.254, the cloud metadata service),
    /// IPv6 link-local, and the metadata services outside them (AWS's IPv6 fd00:ec2::254, Alibaba's 100.100.100.200).
    public static let alwaysRefused: [IPRange] = [
        "169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32",
    ].map { IPRange($0)! }
    /// Refused in strict mode unless allowed: loopback, private, unique-local, carrier-grade NAT, unspecified.
    public static let strictlyRefused: [IPRange] = [
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "0.0.0.0/8",
        "::1/128", "fc00::/7", "::/128",
    ].map { IPRange($0)! }

    /// Why `address` is refused, or nil when a delivery may connect to it.
    public func refusal(for address: IPAddress) -> String? {
        if let range = Self.alwaysRefused.first(where: { $0.contains(address) }) {
            return "\(address) is in \(range) (link-local / cloud metadata), which the relay never delivers to in any egress mode"
        }
        guard mode == .strict, !allow.contains(where: { $0.contains(address) }) else { return nil }
        if let range = Self.strictlyRefused.first(where: { $0.contains(address) }) {
            return "\(address) is in \(range), refused in strict egress mode (add it to egress.allow to permit it)"
        }
        return nil
    }
}

/// An IPv4 or IPv6 address as its bytes.
public struct IPAddress: Sendable, Equatable, CustomStringConvertible {
    public let bytes: [UInt8]
    public let description: String

    /// Parses a textual IPv4 or IPv6 address (an IPv4-mapped IPv6 address counts as its IPv4 address).
    public init?(_ text: String) {
        let trimmed = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        if let v4 = Self.parseIPv4(trimmed) {
            bytes = v4
        } else if var v6 = Self.parseIPv6(trimmed) {
            if v6[0..<10].allSatisfy({ $0 == 0 }) && v6[10] == 0xff && v6[11] == 0xff { v6 = Array(v6[12...]) }
            bytes = v6
        } else {
            return nil
        }
        description = trimmed
    }

    /// Canonical dotted quads only: `0177.0.0.1` is not 177.0.0.1 (a resolver reads it as octal, 127.0.0.1).
    static func parseIPv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let octets = parts.compactMap { part -> UInt8? in
            guard let octet = UInt8(part), String(octet) == part else { return nil }
            return octet
        }
        return octets.count == 4 ? octets : nil
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}

/// A CIDR range such as `10.0.0.0/8` or `fe80::/10`.
public struct IPRange: Sendable, Equatable, CustomStringConvertible {
    public let network: IPAddress
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard let first = parts.first, let network = IPAddress(String(first)) else { return nil }
        let maximum = network.bytes.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : maximum
        guard parts.count <= 2, let prefix, (0...maximum).contains(prefix) else { return nil }
        self.network = network
        self.prefix = prefix
    }

    public var description: String { "\(network)/\(prefix)" }

    public func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var remaining = prefix
        for (a, b) in zip(address.bytes, network.bytes) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }
}
