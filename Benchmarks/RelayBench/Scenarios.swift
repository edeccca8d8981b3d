import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Histogram
import Hummingbird
import NIOCore
import RelayCore
import RelayStore

/// One run of a throughput scenario: its rate, the operations counted, the CPU the relay and PostgreSQL
/// spent on them, the relay's peak RSS, and (end to end) the submit rate meanwhile.
struct Run {
    var rate: Double
    var operations: Int
    var cpu: (relay: Double, postgres: Double)
    var peakMiB: Double
    var submits: Double = 0

    /// CPU milliseconds per operation.
    var relayCPUms: Double { operations > 0 ? cpu.relay * 1000 / Double(operations) : 0 }
    var postgresCPUms: Double { operations > 0 ? cpu.postgres * 1000 / Double(operations) : 0 }
}

/// The benchmark's scenarios, each on a fresh relay process and store.
struct Scenarios {
    let binary: String
    let http: HTTPClient
    let concurrency: Int
    let newDatabase: @Sendable (String) async throws -> String

    /// 1. The ceiling: a Hummingbird server answering 204 to AsyncHTTPClient, `concurrency` at a time.
    func ceiling(seconds: Double) async throws -> Double {
        let arrivals = Arrivals()
        let server = try await Peers.sink(arrivals)
        let body = RelayUnderTest.approvalBody(id: "ceiling", tool: "t", callback: "http://127.0.0.1:9/")
        let done = try await closedLoop(seconds: seconds) { _, _ in
            try await HTTP.send(http, .POST, server.url + "/", body: body) == 204
        }
        await server.stop()
        return Double(done) / seconds
    }

    /// 2. Durable submits/s: the endpoint paused, so every answer waited only for its committed write.
    func submits(store: String, seconds: Double) async throws -> Run {
        let relay = try await RelayUnderTest.start(binary, database: try await newDatabase(store), http: http)
        try await relay.addEndpoint(http, name: "paused", url: "http://127.0.0.1:9/", paused: true)
        let mark = relay.cpuMark()
        let done = try await closedLoop(seconds: seconds) { worker, index in
            try await relay.submit(http, id: "s-\(worker)-\(index)", endpoint: "paused")
        }
        let run = Run(rate: Double(done) / seconds, operations: done, cpu: mark.spent(), peakMiB: relay.memory.peak)
        relay.stop()
        return run
    }

    /// 3. End to end, sustained: submitters and deliveries at once; deliveries/s counted at the endpoint
    /// after a warm-up of a tenth of the run.
    func endToEnd(store: String, seconds: Double) async throws -> Run {
        let arrivals = Arrivals()
        let sink = try await Peers.sink(arrivals)
        let relay = try await RelayUnderTest.start(binary, database: try await newDatabase(store), http: http)
        try await relay.addEndpoint(http, name: "sink", url: sink.url + "/")
        let warmUp = seconds / 10
        let measured = Task {
            try await Task.sleep(for: .seconds(warmUp))
            let start = (arrivals.count, ContinuousClock.now, relay.cpuMark())
            try await Task.sleep(for: .seconds(seconds - warmUp))
            let delivered = arrivals.count - start.0
            return (Double(delivered) / (ContinuousClock.now - start.1).seconds, delivered, start.2.spent())
        }
        let submitted = try await closedLoop(seconds: seconds) { worker, index in
            try await relay.submit(http, id: "e-\(worker)-\(index)", endpoint: "sink")
        }
        let (rate, delivered, cpu) = try await measured.value
        let run = Run(rate: rate, operations: delivered, cpu: cpu, peakMiB: relay.memory.peak, submits: Double(submitted) / seconds)
        relay.stop()
        await sink.stop()
        return run
    }

    /// 4. Full approval cycles/s: submit → delivery → the adapter calls back → forward received; each
    /// worker starts its next cycle when its forward arrives.
    func cycles(store: String, seconds: Double) async throws -> Run {
        let forwards = Arrivals()
        let peers = try await Peers.approvalPeers(http: http, forwards: forwards)
        let relay = try await RelayUnderTest.start(binary, database: try await newDatabase(store), http: http)
        try await relay.addEndpoint(http, name: "cycle", url: peers.url + "/approve")
        let mark = relay.cpuMark()
        let done = try await closedLoop(seconds: seconds) { worker, index in
            let id = "c-\(worker)-\(index)"
            async let arrived: Void = forwards.wait(for: id)
            guard try await relay.submit(http, id: id, endpoint: "cycle", callback: peers.url + "/decisions") else { return false }
            await arrived
            return true
        }
        let run = Run(rate: Double(done) / seconds, operations: done, cpu: mark.spent(), peakMiB: relay.memory.peak)
        relay.stop()
        await peers.stop()
        return run
    }

    /// 5. Submit → first delivery attempt at a fixed offered rate, open loop: each submit is sent at its
    /// scheduled time whether or not earlier ones finished, and its latency counts from that time, so a
    /// stall is charged to every request it delayed (no coordinated omission).
    func latency(store: String, rate: Int, seconds: Double) async throws -> (histogram: Histogram<UInt64>, errors: Int, peakMiB: Double) {
        let arrivals = Arrivals(recordTimes: true)
        let sink = try await Peers.sink(arrivals)
        let relay = try await RelayUnderTest.start(binary, database: try await newDatabase(store), http: http)
        try await relay.addEndpoint(http, name: "sink", url: sink.url + "/")
        let total = Int(Double(rate) * seconds)
        let interval = Duration.seconds(1) / rate
        let start = ContinuousClock.now + .milliseconds(100)
        let errors = Counter()
        var scheduled: [String: ContinuousClock.Instant] = [:]
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<total {
                let at = start + interval * index
                let id = "l\(rate)-\(index)"
                scheduled[id] = at
                try? await Task.sleep(until: at)
                group.addTask {
                    if (try? await relay.submit(http, id: id, endpoint: "sink")) != true { errors.increment() }
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while arrivals.count < total - errors.value && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var missing = 0
        for (id, at) in scheduled {
            guard let arrived = arrivals.time(of: id) else { missing += 1; continue }
            _ = histogram.record(UInt64(max(0, (arrived - at).seconds * 1_000_000)))
        }
        let peak = relay.memory.peak
        relay.stop()
        await sink.stop()
        return (histogram, missing, peak)
    }

    /// 6. A backlog of `pending` messages for a paused endpoint: the relay's memory with it, then the
    /// drain rate once the endpoint resumes (over `window` seconds, or until it is empty).
    func backlog(pending: Int, window: Double) async throws -> (drainRate: Double, rssMiB: Double, peakMiB: Double, seedSeconds: Double) {
        let arrivals = Arrivals()
        let sink = try await Peers.sink(arrivals)
        let database = try await newDatabase("sqlite")
        // The schema and the endpoint through a first start; the backlog written straight into the store
        // (submitting a million through HTTP would take the submit rate's time, not the relay's).
        let setup = try await RelayUnderTest.start(binary, database: database, http: http)
        try await setup.addEndpoint(http, name: "backlog", url: sink.url + "/", paused: true)
        setup.stop()
        let seedStart = ContinuousClock.now
        try await Backlog.seed(database: database, endpoint: "backlog", count: pending)
        let seedSeconds = (ContinuousClock.now - seedStart).seconds
        let relay = try await RelayUnderTest.start(binary, database: database, http: http)
        try await Task.sleep(for: .seconds(2))
        let rss = relay.memory.current
        let start = ContinuousClock.now
        try await relay.setEnabled(http, "backlog", true)
        let stopAt = start + .seconds(window)
        while arrivals.count < pending && ContinuousClock.now < stopAt { try await Task.sleep(for: .milliseconds(5)) }
        let rate = Double(arrivals.count) / (ContinuousClock.now - start).seconds
        let peak = relay.memory.peak
        relay.stop()
        await sink.stop()
        return (rate, rss, peak, seedSeconds)
    }

    /// Runs `work` in `concurrency` workers, each one call after another, for `seconds`; counts successes.
    func closedLoop(seconds: Double, _ work: @escaping @Sendable (Int, Int) async throws -> Bool) async throws -> Int {
        let stopAt = ContinuousClock.now + .seconds(seconds)
        let done = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var index = 0
                    while ContinuousClock.now < stopAt {
                        index += 1
                        if try await work(worker, index) { done.increment() }
                    }
                }
            }
            try await group.waitForAll()
        }
        return done.value
    }
}
