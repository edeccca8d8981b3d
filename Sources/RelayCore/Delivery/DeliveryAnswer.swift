import Foundation

/// What came back from one delivery attempt, before the relay decides what it means.
public enum DeliveryAnswer: Sendable, Equatable {
    /// The receiver answered with an HTTP status.
    case response(status: Int, retryAfter: String?, body: Data)
    /// No HTTP answer: the connection, name lookup, TLS handshake or deadline failed.
    case transportFailure(TransportFailure)
}

/// Why an attempt got no HTTP answer.
public enum TransportFailure: Sendable, Equatable, CustomStringConvertible {
    case connect(String)
    /// The receiver's host answered, but nothing listens on the port: known at once, not after the connect timeout.
    case refused(String)
    case dns(String)
    case tls(String)
    /// The attempt's one deadline passed; the text says in which phase (waiting for the answer, reading its body).
    case timeout(String)
    /// The answer's body was longer than the relay reads; the connection was closed there.
    case bodyTooLarge(limit: Int)
    /// The egress guard refused the address the name resolved to.
    case refusedAddress(String)
    case other(String)

    public var description: String {
        switch self {
        case .connect(let detail): "connect failed: \(detail)"
        case .refused(let detail): "connection refused: \(detail)"
        case .dns(let detail): "name lookup failed: \(detail)"
        case .tls(let detail): "TLS failed: \(detail)"
        case .timeout(let detail): "timed out: \(detail)"
        case .bodyTooLarge(let limit): "the answer's body exceeded \(limit) bytes; the connection was closed"
        case .refusedAddress(let detail): "refused by egress guard: \(detail)"
        case .other(let detail): detail
        }
    }
}

/// A decision an adapter gave in its own answer (a synchronous approver or executor).
public enum AdapterVerdict: Sendable, Equatable {
    case approve(reason: String?)
    case deny(reason: String?)
    case success(result: JSONValue)
}
