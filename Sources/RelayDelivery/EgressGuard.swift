import AsyncHTTPClient
import Dispatch
import Foundation
import NIOCore
import RelayCore

/// Applies the `EgressPolicy` twice: before a delivery (on the URL's literal address, or every address
/// its host name resolves to) and again on the address a new connection really reached, so a name that
/// resolves differently the second time (DNS rebinding) is refused as well.
public struct EgressGuard: Sendable {
    public let policy: EgressPolicy
    let resolve: @Sendable (String) -> [IPAddress]

    public init(policy: EgressPolicy, resolve: @escaping @Sendable (String) -> [IPAddress] = SystemResolver.addresses) {
        self.policy = policy
        self.resolve = resolve
    }

    /// What the pre-check says about a delivery to a URL.
    enum Verdict: Sendable, Equatable {
        case allowed
        case refused(String)
        /// The host name did not resolve within the attempt's time: a retryable failure, not a refusal.
        case lookupTimedOut
    }

    /// Whether a delivery to `url` may be attempted, the name lookup bounded by `budget`. A host that does
    /// not resolve is left to the HTTP client, which reports the lookup failure as a retryable error.
    func refusal(for url: String, within budget: Duration) async -> Verdict {
        guard let host = URL(string: url)?.host else { return .allowed }
        let addresses: [IPAddress]
        if let literal = IPAddress(host) {
            addresses = [literal]
        } else {
            // getaddrinfo blocks and has no timeout of its own: it runs off the cooperative pool (two threads
            // on this machine), and the attempt stops waiting for it at the deadline.
            let resolve = self.resolve
            let resolved: [IPAddress]? = await Deadline.run(within: budget, orElse: nil) {
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().async { continuation.resume(returning: resolve(host)) }
                }
            }
            guard let resolved else { return .lookupTimedOut }
            addresses = resolved
        }
        if let reason = reason(for: addresses, host: host) { return .refused(reason) }
        return .allowed
    }

    private func reason(for addresses: [IPAddress], host: String) -> String? {
        for address in addresses {
            if let reason = policy.refusal(for: address) {
                return host == address.description ? reason : "\(host) resolves to \(reason)"
            }
        }
        return nil
    }

    /// Installs the after-connect check on a client configuration.
    func install(on configuration: inout HTTPClient.Configuration) {
        let policy = self.policy
        let check: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            // Fail closed: a peer whose address cannot be read cannot be checked, so it is not connected to.
            let reason: String?
            if let text = channel.remoteAddress?.ipAddress, let address = IPAddress(text) {
                reason = policy.refusal(for: address)
            } else {
                reason = "the connection's peer address could not be read (\(channel.remoteAddress.map { "\($0)" } ?? "none")), so it could not be checked"
            }
            guard let reason else { return channel.eventLoop.makeSucceededVoidFuture() }
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(EgressRefused(reason: reason))
        }
        configuration.http1_1ConnectionDebugInitializer = check
        configuration.http2ConnectionDebugInitializer = check
    }
}

/// A connection refused by the egress guard.
public struct EgressRefused: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Host name resolution through the system resolver (getaddrinfo), as the HTTP client does it.
public enum SystemResolver {
    public static func addresses(of host: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &results) == 0, let first = results else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0,
               let address = IPAddress(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) {
                addresses.append(address)
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }
}
