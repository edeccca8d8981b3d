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

    /// Why a delivery to `url` must not be attempted, or nil. A host that does not resolve is left to the
    /// HTTP client, which reports the lookup failure as a retryable error.
    func refusal(for url: String) async -> String? {
        guard let host = URL(string: url)?.host else { return nil }
        let addresses: [IPAddress]
        if let literal = IPAddress(host) {
            addresses = [literal]
        } else {
            // getaddrinfo blocks; keep it off the cooperative pool (two threads on this machine).
            let resolve = self.resolve
            addresses = await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: resolve(host)) }
            }
        }
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
            guard let text = channel.remoteAddress?.ipAddress, let address = IPAddress(text),
                  let reason = policy.refusal(for: address) else {
                return channel.eventLoop.makeSucceededVoidFuture()
            }
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
