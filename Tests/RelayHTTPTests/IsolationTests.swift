import Foundation
import HTTPTypes
import NIOHTTP1
import RelayCore
import Testing

/// One bad endpoint cannot hurt the others (issue 4): a healthy endpoint's delivery latency with a
/// hanging endpoint beside it, against its latency alone.
@Suite(.serialized) struct IsolationTests {
    /// Submits `count` approvals addressed to `endpoint`, one every `pace`, and returns how long each took
    /// from just before its submit to its arrival at the adapter, sorted.
    func latencies(_ relay: TestRelay, adapter: StandInServer, endpoint: String, prefix: String, count: Int,
                   pace: Duration) async throws -> [Double] {
        var sent: [String: Date] = [:]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                let name = "\(prefix)-\(index)"
                sent[name] = Date()
                group.addTask {
                    let answer = try await submit(relay, name, extra: ["endpoints": [.string(endpoint)]])
                    #expect(answer.status == 202, "\(answer.text)")
                }
                try await Task.sleep(for: pace)
            }
            try await group.waitForAll()
        }
        try await eventually("\(count) deliveries to \(endpoint)", timeout: .seconds(60)) {
            adapter.requests.filter { JSONValue.parse($0.body)?["correlation_id"]?.stringValue?.hasPrefix(prefix + "-") == true }.count >= count
        }
        var result: [Double] = []
        for received in adapter.requests {
            guard let name = JSONValue.parse(received.body)?["correlation_id"]?.stringValue, name.hasPrefix(prefix + "-"),
                  let start = sent[name] else { continue }
            result.append(received.receivedAt.timeIntervalSince(start))
        }
        return result.sorted()
    }

    func p99(_ sorted: [Double]) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)] }

    @Test func aHangingEndpointDoesNotSlowAHealthyOne() async throws {
        let healthy = try await StandInServer.start()
        let hanging = try await StandInServer.start(CannedAnswer(status: .accepted, delay: .seconds(3)))
        let relay = try await TestRelay.start(
            retry: RetryPolicy(base: 0.05, cap: 0.2, maxAttempts: 50, attemptTimeout: 0.5, connectTimeout: 1)
        )
        _ = try await registerEndpoint(relay, name: "healthy", url: healthy.url + "/approve")
        let count = 200
        let alone = try await latencies(relay, adapter: healthy, endpoint: "healthy", prefix: "alone", count: count, pace: .milliseconds(10))

        _ = try await registerEndpoint(relay, name: "hanging", url: hanging.url + "/approve")
        for index in 0..<64 {
            #expect(try await submit(relay, "stuck-\(index)", extra: ["endpoints": ["hanging"]]).status == 202)
        }
        try await eventually("the hanging endpoint holding its whole concurrency") { hanging.requests.count >= 8 }
        let beside = try await latencies(relay, adapter: healthy, endpoint: "healthy", prefix: "beside", count: count, pace: .milliseconds(10))
        let hangingAttempts = hanging.requests.count
        let (aloneP99, besideP99) = (p99(alone), p99(beside))
        print("isolation: healthy p99 alone \(String(format: "%.1f", aloneP99 * 1000)) ms, beside a hanging endpoint "
              + "\(String(format: "%.1f", besideP99 * 1000)) ms (ratio \(String(format: "%.2f", besideP99 / aloneP99)); "
              + "p50 \(String(format: "%.1f", alone[count / 2] * 1000)) / \(String(format: "%.1f", beside[count / 2] * 1000)) ms; "
              + "\(hangingAttempts) attempts hung meanwhile)")
        #expect(hangingAttempts > 8, "the hanging endpoint was retried while the healthy one was measured")
        // 2× is the goal; the 25 ms allowance keeps one scheduler hiccup of a 2-core CI machine from failing it.
        #expect(besideP99 <= 2 * aloneP99 + 0.025, "healthy p99 \(besideP99 * 1000) ms beside a hanging endpoint, \(aloneP99 * 1000) ms alone")
        await relay.stop()
        await healthy.stop()
        await hanging.stop()
    }

    /// An endpoint's own `concurrency` above the default is its limit, and endpoints on one host do not share a
    /// smaller one: the HTTP client's pool once held every host to the default 8 (issue 16).
    @Test func endpointsOnOneHostEachGetTheirOwnConcurrency() async throws {
        let slow = try await StandInServer.start(CannedAnswer(status: .accepted, delay: .seconds(10)))
        let relay = try await TestRelay.start(
            retry: RetryPolicy(base: 0.05, cap: 1, maxAttempts: 5, attemptTimeout: 30, connectTimeout: 1), shutdownGrace: .milliseconds(100)
        )
        _ = try await registerEndpoint(relay, name: "wide", url: slow.url + "/wide", extra: ["concurrency": 24])
        _ = try await registerEndpoint(relay, name: "narrow", url: slow.url + "/narrow", extra: ["concurrency": 16])
        for index in 0..<30 {
            #expect(try await submit(relay, "wide-\(index)", extra: ["endpoints": ["wide"]]).status == 202)
            #expect(try await submit(relay, "narrow-\(index)", extra: ["endpoints": ["narrow"]]).status == 202)
        }
        @Sendable func held(_ path: String) -> Int { slow.requests.filter { $0.path == path }.count }
        try await eventually("24 deliveries to wide and 16 to narrow in flight at once") { held("/wide") >= 24 && held("/narrow") >= 16 }
        // Each answer takes 10 s, so within it nothing past an endpoint's own limit may have been sent.
        #expect(held("/wide") == 24)
        #expect(held("/narrow") == 16)
        await relay.stop()
        await slow.stop()
    }
}
