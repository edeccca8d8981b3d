import Foundation
import RelayStore

/// The overview's pictures of the last hour, drawn on the server as SVG (no script, no CDN): attempts delivered
/// and failed and dead letters per minute, and the latency from enqueue to delivery (p50, p90, p99) per minute on
/// a log scale. Only numbers and fixed words go into the markup.
enum ConsoleCharts {
    static let width = 720.0
    static let height = 220.0
    static let margin = (left: 56.0, right: 12.0, top: 14.0, bottom: 30.0)

    struct Series {
        var label: String
        var color: String
        var dash: String?
        /// One value per minute, nil where there is none.
        var values: [Double?]
    }

    /// The 60 whole minutes that end with the one `now` falls in, oldest first.
    static func minutes(endingAt now: Date) -> [Int] {
        let last = Int(now.timeIntervalSince1970) / 60
        return Array((last - 59)...last)
    }

    static func activity(_ activity: MinuteActivity, now: Date) -> String {
        let minutes = minutes(endingAt: now)
        let at = { (minute: Int) in activity.minutes[minute] ?? MinuteActivity.Minute() }
        let series = [
            Series(label: "delivered", color: "#1d7a3a", values: minutes.map { Double(at($0).delivered) }),
            Series(label: "failed attempts", color: "#9a6700", dash: "6 3", values: minutes.map { Double(at($0).failed) }),
            Series(label: "dead letters", color: "#b42318", dash: "2 3", values: minutes.map { Double(at($0).dead) }),
        ]
        let peak = series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
        let top = niceCeiling(max(peak, 1))
        let ticks = (0...4).map { top * Double($0) / 4 }
        let totals = series.map { "\(Int($0.values.compactMap { $0 }.reduce(0, +))) \($0.label)" }.joined(separator: ", ")
        return chart(title: "Attempts and dead letters per minute, last hour", description: "Last hour: \(totals).",
                     series: series, scale: { $0 / top }, ticks: ticks.map { ($0 / top, format(count: $0)) }, now: now)
    }

    static func latency(_ activity: MinuteActivity, now: Date) -> String {
        let minutes = minutes(endingAt: now)
        let quantiles: [(String, Double, String, String?)] = [("p50", 0.5, "#1f5fbf", nil), ("p90", 0.9, "#9a6700", "6 3"), ("p99", 0.99, "#b42318", "2 3")]
        let series = quantiles.map { label, fraction, color, dash in
            Series(label: label, color: color, dash: dash, values: minutes.map { activity.minutes[$0]?.percentile(fraction) })
        }
        // Log scale from the first bucket bound to the last: a millisecond and an hour on one picture.
        let low = log10(MinuteActivity.latencyBounds.first!), high = log10(MinuteActivity.latencyBounds.last!)
        let scale = { (seconds: Double) in (log10(max(seconds, MinuteActivity.latencyBounds.first!)) - low) / (high - low) }
        let ticks = [0.005, 0.05, 0.5, 5, 60, 3600].map { (scale($0), format(seconds: $0)) }
        let latest = series.map { series in "\(series.label) \(series.values.last(where: { $0 != nil }).flatMap { $0 }.map(format(seconds:)) ?? "—")" }
        return chart(title: "Delivery latency per minute (enqueue to delivered), last hour",
                     description: "Latest minute with deliveries: \(latest.joined(separator: ", ")).",
                     series: series, scale: scale, ticks: ticks, now: now)
    }

    /// Lines over 60 minutes; a minute without a value breaks its line.
    static func chart(title: String, description: String, series: [Series], scale: @escaping (Double) -> Double,
                      ticks: [(position: Double, label: String)], now: Date) -> String {
        let plotWidth = width - margin.left - margin.right, plotHeight = height - margin.top - margin.bottom
        let x = { (index: Int) in margin.left + plotWidth * Double(index) / 59 }
        let y = { (value: Double) in margin.top + plotHeight * (1 - min(max(scale(value), 0), 1)) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(width)) \(Int(height + 22))" width="\(Int(width))" height="\(Int(height + 22))" role="img" font-family="system-ui, sans-serif" font-size="11">
            <title>\(escape(title))</title><desc>\(escape(description))</desc>
            <rect x="0" y="0" width="\(Int(width))" height="\(Int(height + 22))" fill="#ffffff"/>

            """
        for tick in ticks {
            let ty = margin.top + plotHeight * (1 - tick.position)
            svg += "<line x1=\"\(f(margin.left))\" x2=\"\(f(width - margin.right))\" y1=\"\(f(ty))\" y2=\"\(f(ty))\" stroke=\"#d9dde3\"/>"
            svg += "<text x=\"\(f(margin.left - 6))\" y=\"\(f(ty + 4))\" text-anchor=\"end\" fill=\"#5b6573\">\(escape(tick.label))</text>\n"
        }
        for (index, label) in [(0, "60 min ago"), (30, "30 min ago"), (59, "now")] {
            let anchor = index == 0 ? "start" : (index == 59 ? "end" : "middle")
            svg += "<text x=\"\(f(x(index)))\" y=\"\(f(height - 10))\" text-anchor=\"\(anchor)\" fill=\"#5b6573\">\(label)</text>\n"
        }
        for line in series {
            var runs: [[String]] = [[]]
            for (index, value) in line.values.enumerated() {
                if let value { runs[runs.count - 1].append("\(f(x(index))),\(f(y(value)))") } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
            }
            let dash = line.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
            for run in runs where !run.isEmpty {
                if run.count == 1 {
                    let point = run[0].split(separator: ",")
                    svg += "<circle cx=\"\(point[0])\" cy=\"\(point[1])\" r=\"2.5\" fill=\"\(line.color)\"/>\n"
                } else {
                    svg += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash) points=\"\(run.joined(separator: " "))\"/>\n"
                }
            }
        }
        var legendX = margin.left
        for line in series {
            let dash = line.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
            svg += "<line x1=\"\(f(legendX))\" x2=\"\(f(legendX + 22))\" y1=\"\(f(height + 12))\" y2=\"\(f(height + 12))\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash)/>"
            svg += "<text x=\"\(f(legendX + 27))\" y=\"\(f(height + 16))\" fill=\"#1d232b\">\(escape(line.label))</text>\n"
            legendX += 27 + Double(line.label.count) * 6.5 + 18
        }
        return svg + "</svg>\n"
    }

    /// 1, 2 or 5 times a power of ten, at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let power = pow(10, floor(log10(value)))
        return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= value } ?? 10 * power
    }

    static func format(count: Double) -> String {
        count >= 1000 ? String(format: "%.1fk", count / 1000) : String(Int(count.rounded()))
    }

    static func format(seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds) }
        return seconds < 3600 ? "\(Int(seconds / 60)) min" : "\(Int(seconds / 3600)) h"
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
