import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import Prometheus
import RelayCore
import RelayDelivery
import RelayStore

/// `GET /healthz` (the process answers), `GET /readyz` (the store answers and its schema is current) and
/// `GET /metrics` (Prometheus text format, unauthenticated like the probes: it holds counts and endpoint names only).
struct HealthRoutes {
    let dependencies: RelayDependencies

    func register(on router: Router<RelayRequestContext>) {
        router.get("/healthz") { _, _ in
            JSONResponse.make(status: .ok, Status(status: "ok"))
        }
        router.get("/readyz") { _, _ in
            // A database that does not answer makes the probe fail fast instead of hanging past its timeout.
            let ready = await withTaskGroup(of: Bool.self) { group in
                group.addTask { await dependencies.store.isReady() }
                group.addTask { try? await Task.sleep(for: .seconds(2)); return false }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            return JSONResponse.make(status: ready ? .ok : .serviceUnavailable, Status(status: ready ? "ready" : "store unavailable or schema not current"))
        }
        router.get("/metrics") { _, _ in
            // The outbox gauges are counted now, so a scrape always sees the store as it is.
            dependencies.metrics.outbox(try await dependencies.store.outboxCounts(), now: dependencies.clock.now())
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let body = dependencies.metricsRegistry.emitToBuffer()
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    struct Status: Encodable {
        var status: String
    }
}
