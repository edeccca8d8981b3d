import ArgumentParser
import AsyncHTTPClient
import Foundation
import Histogram
import RelayTestSupport

/// `make bench`: throughput, latency and backlog of a release-built relay against the loopback ceiling.
/// Prints a table and writes the same figures as JSON. BENCHMARKS.md says how to read them.
@main
struct RelayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "relay-bench", abstract: "Benchmark the relay against the loopback ceiling.")

    @Option(help: "The webhook-relay binary to run.") var relay = ".build/release/webhook-relay"
    @Option(help: "Seconds of each throughput scenario.") var seconds: Double = 10
    @Option(help: "Seconds of the sustained end-to-end scenario.") var sustain: Double = 30
    @Option(help: "Pending messages of the big backlog.") var backlog = 1_000_000
    @Option(help: "Where to write the JSON results.") var json = ".build/bench.json"
    @Flag(help: "One second of every scenario (make test runs this so the benchmark cannot rot).") var smoke = false
    @Option(help: "Runs of each throughput scenario (submits, deliveries, cycles): the median is reported with the spread.")
    var runs = 3
    @Option(help: "Run only these scenarios (comma-separated: submits, deliveries, cycles, latency, backlog); the ceiling always runs.")
    var only: String?
    @Option(help: "Run only these stores (comma-separated: sqlite, postgres), to compare builds on one store in more rounds; without SQLite, PostgreSQL's figures are read against the ceiling.")
    var stores: String?

    func selected(_ scenario: String) -> Bool {
        only.map { $0.split(separator: ",").contains(Substring(scenario)) } ?? true
    }

    func run() async throws {
        let seconds = smoke ? 1 : self.seconds
        let sustain = smoke ? 1 : self.sustain
        let bigBacklog = smoke ? 1_000 : backlog
        let rates = smoke ? [100] : [100, 500, 1_000]
        let postgres = ProcessInfo.processInfo.environment[TestStores.postgresVariable] != nil
        let stores = (postgres ? ["sqlite", "postgres"] : ["sqlite"]).filter { store in
            self.stores.map { $0.split(separator: ",").contains(Substring(store)) } ?? true
        }
        let http = HTTP.client(concurrency: 64)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let scenarios = Scenarios(binary: relay, http: http, concurrency: 64) { store in
            if store == "postgres", case .postgres(let url) = try await TestStores.fresh(.postgres) { return url }
            return "sqlite:" + folder.appendingPathComponent("\(UUID().uuidString)/relay.sqlite").path
        }
        var report = Report(smoke: smoke)
        print("WebhookRelay benchmark\(smoke ? " (smoke: 1 s per scenario)" : "") — \(Machine.describe())\n")

        let ceiling = try await scenarios.ceiling(seconds: seconds)
        report.add("ceiling: Hummingbird 204 ← AsyncHTTPClient, 64 concurrent", ceiling, "exchanges/s")
        let repeats = smoke ? 1 : max(1, runs)
        func repeated(_ scenario: () async throws -> Run) async throws -> [Run] {
            var results: [Run] = []
            for _ in 0..<repeats { results.append(try await scenario()) }
            return results
        }
        // SQLite's medians, against which PostgreSQL's are read.
        var sqlite: [String: Double] = [:]
        for store in stores {
            let name = store == "sqlite" ? "SQLite synchronous=FULL" : "PostgreSQL"
            func versusSQLite(_ key: String, _ median: Double) -> (ratio: Double?, of: String?, target: (Double, String)?) {
                guard store == "postgres", let base = sqlite[key], base > 0 else { sqlite[key] = median; return (nil, nil, nil) }
                return (median / base, "SQLite's", (0.6, "≥ 60 % of SQLite's"))
            }
            if selected("submits") {
                let results = try await repeated { try await scenarios.submits(store: store, seconds: seconds) }
                let against = versusSQLite("submits", Report.median(results.map(\.rate)))
                report.add("durable submits/s (\(name))", runs: results, "/s", ratio: against.ratio ?? Report.median(results.map(\.rate)) / ceiling,
                           ratioOf: against.of ?? "ceiling", target: against.target, per: "submit")
            }
            if selected("deliveries") {
                let results = try await repeated { try await scenarios.endToEnd(store: store, seconds: sustain) }
                let median = Report.median(results.map(\.rate))
                let against = versusSQLite("deliveries", median)
                report.add("end-to-end deliveries/s, \(Int(sustain)) s sustained (\(name); submits meanwhile \(Int(Report.median(results.map(\.submits))))/s)",
                           runs: results, "/s", ratio: against.ratio ?? median / (ceiling / 2), ratioOf: against.of ?? "ceiling÷2",
                           target: against.target ?? (0.5, "≥ 50 % of ceiling÷2"), per: "delivery")
            }
            if selected("cycles") {
                let results = try await repeated { try await scenarios.cycles(store: store, seconds: seconds) }
                let median = Report.median(results.map(\.rate))
                let against = versusSQLite("cycles", median)
                report.add("full approval cycles/s (\(name))", runs: results, "/s", ratio: against.ratio ?? median / (ceiling / 4),
                           ratioOf: against.of ?? "ceiling÷4", target: against.target ?? (0.4, "≥ 40 % of ceiling÷4"), per: "cycle")
            }
        }
        for rate in rates where selected("latency") {
            let result = try await scenarios.latency(store: "sqlite", rate: rate, seconds: seconds)
            report.addLatency(rate: rate, result.histogram, missing: result.errors, peak: result.peakMiB)
        }
        if selected("backlog") {
        let small = try await scenarios.backlog(pending: smoke ? 100 : 1_000, window: 60)
        let big = try await scenarios.backlog(pending: bigBacklog, window: smoke ? 5 : 30)
        report.add("drain rate, \(smoke ? 100 : 1_000) pending", small.drainRate, "/s", peak: small.peakMiB)
        report.add("drain rate, \(bigBacklog) pending (seeded in \(Int(big.seedSeconds)) s)", big.drainRate, "/s",
                   ratio: big.drainRate / small.drainRate, ratioOf: "small backlog", target: (0.9, "≥ 90 % of the small backlog's"),
                   peak: big.peakMiB)
        report.add("relay RSS with \(bigBacklog) pending", big.rssMiB, "MiB", target: (-256, "≤ 256 MB"))
        }
        try await http.shutdown()
        print(report.table)
        try report.write(to: json)
        print("\nwritten to \(json)")
        // A scenario that did nothing is broken, not slow: fail, so that `make test` notices.
        if let broken = report.rows.first(where: { $0.value <= 0 || $0.scenario.contains(" lost") }) {
            throw BenchError("scenario \"\(broken.scenario)\" produced nothing: the benchmark or the relay is broken")
        }
    }
}
