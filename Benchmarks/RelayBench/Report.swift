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

    mutating func addLatency(rate: Int, _ histogram: Histogram<UInt64>, missing: Int, peak: Double) {
        func ms(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
        let text = String(format: "p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f", ms(50), ms(90), ms(99), ms(99.9), Double(histogram.max) / 1000)
        rows.append(Row(scenario: "submit → first attempt at \(rate)/s, open loop (\(histogram.totalCount) requests\(missing > 0 ? ", \(missing) lost" : ""))",
                        value: ms(99), unit: "ms p99 (\(text))", target: rate == 500 ? "p99 ≤ 20 ms" : nil,
                        met: rate == 500 ? ms(99) <= 20 && missing == 0 : nil, peakRSSMiB: peak))
    }

    var table: String {
        var lines = ["| scenario | result | ratio | target | peak RSS |", "| --- | --- | --- | --- | --- |"]
        for row in rows {
            let value = row.unit.hasPrefix("ms") ? String(format: "%.1f %@", row.value, row.unit) : String(format: "%.0f %@", row.value, row.unit)
            let ratio = row.ratio.map { String(format: "%.0f %% of %@", $0 * 100, row.ratioOf ?? "") } ?? ""
            let target = row.target.map { "\($0) \(row.met == true ? "✔ met" : "✘ not met")" } ?? ""
            let peak = row.peakRSSMiB.map { String(format: "%.0f MiB", $0) } ?? ""
            lines.append("| \(row.scenario) | \(value) | \(ratio) | \(target) | \(peak) |")
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
