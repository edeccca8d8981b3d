import Foundation
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayDelivery
import RelayStore

/// `GET /api/v1/requests/{id or correlation_id}`: a request with its whole timeline.
struct RequestRoutes {
    let dependencies: RelayDependencies

    func register(on group: RouterGroup<RelayRequestContext>) {
        group.get("/requests/:request") { _, context in
            let key = try context.parameters.require("request")
            return JSONResponse.make(status: .ok, TimelineView(try await dependencies.application.timeline(key)))
        }
    }
}
