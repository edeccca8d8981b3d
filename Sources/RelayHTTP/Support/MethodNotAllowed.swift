import HTTPTypes
import Hummingbird

/// Answers 405 with an `Allow` header when a path exists but not with the method used, instead of the
/// router's 404: a client that used the wrong verb learns which ones the path takes.
enum MethodNotAllowed {
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options, .trace, HTTPRequest.Method("QUERY")!]

    /// Call once every route is registered.
    static func register(on router: Router<RelayRequestContext>) {
        var allowed: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in router.routes {
            allowed[route.path.description, default: (route.path, [])].methods.insert(route.method)
        }
        for (path, used) in allowed.values {
            let allow = methods.filter { used.contains($0) }.map(\.rawValue).joined(separator: ", ")
            for method in methods where !used.contains(method) {
                router.on(path, method: method) { _, _ -> Response in
                    var error = APIError(.methodNotAllowed, code: "method_not_allowed", "\(method.rawValue) is not allowed here; use \(allow)")
                    error.headers[.allow] = allow
                    throw error
                }
            }
        }
    }
}
