import Foundation
import Hummingbird
import Logging
import NIOCore
import RelayDelivery
import RelayStore

/// `GET /healthz` (the process answers) and `GET /readyz` (the store answers and its schema is current).
struct HealthRoutes {
    let dependencies: RelayDependencies

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in
            JSONResponse.make(status: .ok, Status(status: "ok"))
        }
        router.get("/readyz") { _, _ in
            let ready = await dependencies.store.isReady()
            return JSONResponse.make(status: ready ? .ok : .serviceUnavailable, Status(status: ready ? "ready" : "store unavailable or schema not current"))
        }
    }

    struct Status: Encodable {
        var status: String
    }
}
