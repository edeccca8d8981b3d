import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP port free on 127.0.0.1 right now (the kernel's pick for port 0).
public func freePort() throws -> Int {
    let (socketFD, port) = try boundLoopbackSocket()
    close(socketFD)
    return port
}

/// A TCP socket bound to 127.0.0.1 on the kernel's pick of port, and that port; the caller closes it.
public func boundLoopbackSocket() throws -> (descriptor: Int32, port: Int) {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) }
    }
    guard bound == 0 else {
        close(socketFD)
        throw POSIXError(.EADDRINUSE)
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
    }
    return (socketFD, Int(UInt16(bigEndian: address.sin_port)))
}

/// Starts something on a port chosen now, for servers that must know their port before they bind (a
/// URL handed out, a database started in two steps). Between the choice and the bind another test may
/// take the port: `start` then returns nil and runs again on another one.
public func onFreePort<T>(attempts: Int = 10, _ start: (Int) async throws -> T?) async throws -> T {
    for _ in 0..<attempts {
        if let started = try await start(try freePort()) { return started }
    }
    throw POSIXError(.EADDRINUSE)
}

/// A port on 127.0.0.1 held bound but not listening: a connect to it is refused, and no other bind to port 0
/// in this machine can be handed it meanwhile, which a port from `freePort()` cannot promise while a test
/// waits. Both sockets set SO_REUSEADDR, so a server may bind and listen on it before `release()`.
public final class ReservedPort: @unchecked Sendable {
    public let port: Int
    private var socketFD: Int32

    public init() throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var reuse: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) }
        }
        guard bound == 0 else {
            close(socketFD)
            throw POSIXError(.EADDRINUSE)
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        self.socketFD = socketFD
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    public func release() {
        guard socketFD >= 0 else { return }
        close(socketFD)
        socketFD = -1
    }

    deinit { release() }
}
