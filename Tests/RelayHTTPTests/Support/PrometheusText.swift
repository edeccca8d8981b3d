import Foundation
import Testing

/// `/metrics` as read by the Prometheus project's own Python parser (`prometheus_client`): every sample
/// keyed `name{label="value",…}` with labels sorted. A page it cannot parse fails the test.
func prometheusSamples(_ text: String) async throws -> [String: Double] {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-prom-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let file = folder.appendingPathComponent("metrics.txt")
    try text.write(to: file, atomically: true, encoding: .utf8)
    let run = try await runPython("""
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        samples = {}
        for family in text_string_to_metric_families(open(sys.argv[1]).read()):
            for sample in family.samples:
                labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(sample.labels.items()))
                samples["%s{%s}" % (sample.name, labels)] = sample.value
        print(json.dumps(samples))
        """, arguments: [file.path])
    guard run.status == 0 else {
        Issue.record("prometheus_client could not parse /metrics: \(run.errors)")
        throw CancellationError()
    }
    let data = Data(run.output.utf8)
    return try JSONDecoder().decode([String: Double].self, from: data)
}

/// The sum of every sample of `name` whose labels include all of `labels`.
func sum(_ samples: [String: Double], _ name: String, _ labels: [String: String] = [:]) -> Double {
    samples.filter { key, _ in
        guard key.hasPrefix(name + "{") else { return false }
        return labels.allSatisfy { key.contains("\($0.key)=\"\($0.value)\"") }
    }.values.reduce(0, +)
}
