import Foundation
import Hummingbird
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayStore

/// The admin API for endpoints: create (secret shown once), list, show, update, enable/disable,
/// delete, rotate secret — each a use case of `RelayApplication`, the body read into `EndpointChanges`.
struct EndpointRoutes {
    let dependencies: RelayDependencies

    func register(on group: RouterGroup<RelayRequestContext>) {
        let application = dependencies.application
        let limit = dependencies.settings.maxBodyBytes
        group.post("/endpoints") { request, _ in
            let changes = try EndpointInput.changes(try await request.collectBody(limit: limit), creating: true)
            return JSONResponse.make(status: .created, try await application.createEndpoint(changes))
        }
        group.get("/endpoints") { _, _ in
            JSONResponse.make(status: .ok, EndpointList(items: try await application.endpoints()))
        }
        group.get("/endpoints/:endpoint") { _, context in
            JSONResponse.make(status: .ok, try await application.endpoint(try context.parameters.require("endpoint")))
        }
        group.patch("/endpoints/:endpoint") { request, context in
            let changes = try EndpointInput.changes(try await request.collectBody(limit: limit), creating: false)
            return JSONResponse.make(status: .ok, try await application.updateEndpoint(try context.parameters.require("endpoint"), changes))
        }
        group.post("/endpoints/:endpoint/disable") { _, context in
            JSONResponse.make(status: .ok, try await application.setEndpointEnabled(try context.parameters.require("endpoint"), false))
        }
        group.post("/endpoints/:endpoint/enable") { _, context in
            JSONResponse.make(status: .ok, try await application.setEndpointEnabled(try context.parameters.require("endpoint"), true))
        }
        group.delete("/endpoints/:endpoint") { _, context in
            try await application.deleteEndpoint(try context.parameters.require("endpoint"))
            return Response(status: .noContent)
        }
        group.post("/endpoints/:endpoint/rotate-secret") { request, context in
            let body = try await request.collectBody(limit: limit)
            var grace: TimeInterval?
            if !body.isEmpty {
                var reader = try FieldReader(body)
                grace = try reader.int("grace_sec").map(TimeInterval.init)
                try reader.rejectUnknown()
            }
            return JSONResponse.make(status: .ok, try await application.rotateSecret(try context.parameters.require("endpoint"), grace: grace))
        }
    }
}
