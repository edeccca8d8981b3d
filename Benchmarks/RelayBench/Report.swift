import Foundation
import Histogram

/// The results, as the printed table and as JSON.
struct Report {
    struct Row: Codable {
        var scenario: String
        var value: Double
        var unit: String
        var ratio: Double?
        var ratioOf: String?
        var target: String?
        var met: Bool?
        var peakRSSMiB: Double?
        /// Each run's figure, when the scenario ran more than once (`value` is their median).
        var runs: [Double]?
        /// CPU milliseconds per operation (median over the runs): the relay's and the PostgreSQL server's.
        var relayCPUms: Double?
        var postgresCPUms: Double?
        var per: String?
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    var smoke: Bool
    var rows: [Row] = []
    var machine = Machine.describe()
    var date = ISO8601DateFormatter().string(from: Date())

    /// `target`: (threshold, text); a positive threshold is a minimum ratio, a negative one a maximum value.
    mutating func add(_ scenario: String, _ value: Double, _ unit: String, ratio: Double? = nil, ratioOf: String? = "ceiling",
                      target: (Double, String)? = nil, peak: Double? = nil) {
        var met: Bool?
        if let (threshold, _) = target {
            met = threshold >= 0 ? (ratio ?? 0) >= threshold : value <= -threshold
        }
        rows.append(Row(scenario: scenario, value: value, unit: unit, ratio: ratio, ratioOf: ratio == nil ? nil : ratioOf,
                        target: target?.1, met: met, peakRSSMiB: peak))
    }

    /// A throughput scenario run several times: the median rate, each run's, CPU per `per` (operation).
    mutating func add(_ scenario: String, runs: [Run], _ unit: String, ratio: Double?, ratioOf: String?, target: (Double, String)?,
                      per: String) {
        add(scenario, Self.median(runs.map(\.rate)), unit, ratio: ratio, ratioOf: ratioOf, target: target,
            peak: runs.map(\.peakMiB).max())
        rows[rows.count - 1].runs = runs.count > 1 ? runs.map(\.rate) : nil
        rows[rows.count - 1].relayCPUms = Self.median(runs.map(\.relayCPUms))
        let postgres = Self.median(runs.map(\.postgresCPUms))
        rows[rows.count - 1].postgresCPUms = postgres > 0 ? postgres : nil
        rows[rows.count - 1].per = per
    }

    /// p99 submit → first attempt, in ms, by offered rate per second.
    static let latencyTargets: [Int: Double] = [100: 10, 500: 20, 1_000: 50]

    mutating func addLatency(rate: Int, _ histogram: Histogram<UInt64>, missing: Int, peak: Double) {
        func ms(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
        let text = String(format: "p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f", ms(50), ms(90), ms(99), ms(99.9), Double(histogram.max) / 1000)
        rows.append(Row(scenario: "submit → first attempt at \(rate)/s, open loop (\(histogram.totalCount) requests\(missing > 0 ? ", \(missing) lost" : ""))",
                        value: ms(99), unit: "ms p99 (\(text))", target: Self.latencyTargets[rate].map { "p99 ≤ \(Int($0)) ms" },
                        met: Self.latencyTargets[rate].map { ms(99) <= $0 && missing == 0 }, peakRSSMiB: peak))
    }

    var table: String {
        var lines = ["| scenario | result | ratio | target | CPU ms per operation: relay · PostgreSQL | peak RSS |",
                     "| --- | --- | --- | --- | --- | --- |"]
        for row in rows {
            var value = row.unit.hasPrefix("ms") ? String(format: "%.1f %@", row.value, row.unit) : String(format: "%.0f %@", row.value, row.unit)
            if let runs = row.runs, let low = runs.min(), let high = runs.max(), row.value > 0 {
                value += String(format: " (median of %d: %.0f–%.0f, ±%.0f %%)", runs.count, low, high, (high - low) / 2 / row.value * 100)
            }
            var cpu = row.relayCPUms.map { String(format: "%.2f", $0) } ?? ""
            if let postgres = row.postgresCPUms { cpu += String(format: " · %.2f", postgres) }
            if let per = row.per, !cpu.isEmpty { cpu += " per \(per)" }
            let ratio = row.ratio.map { String(format: "%.0f %% of %@", $0 * 100, row.ratioOf ?? "") } ?? ""
            let target = row.target.map { "\($0) \(row.met == true ? "✔ met" : "✘ not met")" } ?? ""
            let peak = row.peakRSSMiB.map { String(format: "%.0f MiB", $0) } ?? ""
            lines.append("| \(row.scenario) | \(value) | \(ratio) | \(target) | \(cpu) | \(peak) |")
        }
        return lines.joined(separator: "\n")
    }

    func write(to path: String) throws {
        struct Document: Codable { var date: String; var machine: String; var smoke: Bool; var results: [Row] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(Document(date: date, machine: machine, smoke: smoke, results: rows)).write(to: url)
    }
}

enum Machine {
    static func describe() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?
            .split(separator: "\n").first?.split(separator: " ").dropFirst().first { !$0.isEmpty }.flatMap { Double($0) }
            .map { String(format: "%.0f GiB", $0 / 1_048_576) } ?? "?"
        return "\(ProcessInfo.processInfo.activeProcessorCount) × \(cpu), \(memory) RAM"
    }
}
