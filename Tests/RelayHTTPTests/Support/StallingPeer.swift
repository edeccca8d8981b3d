import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RelayTestSupport
import Synchronization

/// A hostile peer on 127.0.0.1: it reads the request, answers `200` with `Content-Length: 1000`, sends
/// one byte of that body and then nothing, holding the connection open until stopped.
final class StallingPeer: Sendable {
    let port: Int
    private let listener: Int32
    private let held = Mutex<[Int32]>([])
    private let served = Atomic<Int>(0)

    var url: String { "http://127.0.0.1:\(port)" }
    /// Requests it has stalled so far.
    var stalled: Int { served.load(ordering: .relaxed) }

    private init(port: Int, listener: Int32) {
        self.port = port
        self.listener = listener
    }

    static func start() throws -> StallingPeer {
        let (fd, port) = try boundLoopbackSocket()
        guard listen(fd, 64) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        let peer = StallingPeer(port: port, listener: fd)
        let thread = Thread { peer.acceptLoop() }
        thread.start()
        return peer
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            held.withLock { $0.append(connection) }
            Thread { self.stall(connection) }.start()
        }
    }

    private func stall(_ connection: Int32) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        // The request: its head, then as many body bytes as Content-Length says.
        while true {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return }
            received += buffer[0..<count]
            let text = String(decoding: received, as: UTF8.self)
            guard let headEnd = text.range(of: "\r\n\r\n") else { continue }
            let length = text[..<headEnd.lowerBound].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            if text.utf8.distance(from: text.utf8.startIndex, to: headEnd.upperBound) + length <= received.count { break }
        }
        let answer = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".utf8)
        _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        served.add(1, ordering: .relaxed)
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in held.withLock({ $0 }) { close(fd) }
    }
}
