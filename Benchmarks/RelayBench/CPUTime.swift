import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CPU seconds spent by processes, read from `/proc`: the relay's, and the PostgreSQL server's (every
/// process named `postgres`, plus what the postmaster has reaped from backends that already exited), so a
/// scenario can report CPU per operation beside its rate.
enum CPUTime {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// The fields of `/proc/PID/stat` after the command name (which may hold spaces and parentheses).
    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// User and system time of `pid`; `withReapedChildren` adds what its waited-for children spent.
    static func seconds(of pid: Int32, withReapedChildren: Bool = false) -> Double {
        // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
        guard let fields = statFields(pid), fields.count > 14 else { return 0 }
        let indices = withReapedChildren ? [11, 12, 13, 14] : [11, 12]
        return indices.compactMap { Double(fields[$0]) }.reduce(0, +) / ticksPerSecond
    }

    /// The PostgreSQL server's CPU seconds so far (0 when none runs on this machine).
    static func postgresSeconds() -> Double {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var byPID: [Int32: Int32] = [:]  // postgres process → its parent
        for entry in entries {
            guard let pid = Int32(entry),
                  let name = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
                  name.trimmingCharacters(in: .whitespacesAndNewlines) == "postgres",
                  let parent = statFields(pid).flatMap({ $0.count > 1 ? Int32($0[1]) : nil }) else { continue }
            byPID[pid] = parent
        }
        // A postmaster is the postgres process whose parent is not one: it alone counts its reaped backends.
        return byPID.reduce(0) { total, process in
            total + seconds(of: process.key, withReapedChildren: byPID[process.value] == nil)
        }
    }
}

/// A point in time's CPU totals of the relay and of PostgreSQL; `spent()` is what each used since.
struct CPUMark {
    let relayPID: Int32
    let relay: Double
    let postgres: Double

    let countsPostgres: Bool

    /// `postgres`: whether the relay runs on PostgreSQL (on SQLite an idle server may still be up: not counted).
    init(relay pid: Int32, postgres countsPostgres: Bool) {
        relayPID = pid
        relay = CPUTime.seconds(of: pid)
        self.countsPostgres = countsPostgres
        postgres = countsPostgres ? CPUTime.postgresSeconds() : 0
    }

    func spent() -> (relay: Double, postgres: Double) {
        (CPUTime.seconds(of: relayPID) - relay, countsPostgres ? CPUTime.postgresSeconds() - postgres : 0)
    }
}
