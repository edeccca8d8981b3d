import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `serve` per SQLite file (SPEC §11): an exclusive lock on `<database>.lock`, held for the life of the
/// process (the kernel drops it when the process dies, however it dies), with the holder's pid inside so
/// the second one can say who holds it. The CLI's administrative commands do not take it.
public final class ServeLock: Sendable {
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Takes the lock of the database at `databasePath`, or throws naming the file and the holder's pid.
    public static func acquire(databasePath: String) throws -> ServeLock {
        try SQLiteFiles.prepare(path: databasePath)
        let path = databasePath + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError.unavailable("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            close(descriptor)
            let holder = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unknown"
            throw StoreError.busy("""
                another webhook-relay serve (pid \(holder)) is using \(databasePath) (it holds \(path)); \
                stop it first, or give this one another database (RELAY_DATABASE)
                """)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
        return ServeLock(path: path, descriptor: descriptor)
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
