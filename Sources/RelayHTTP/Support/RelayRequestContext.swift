import Hummingbird
import NIOCore

/// The request context of every relay route: Hummingbird's basic one plus the client's address, which the
/// failed-credential throttle keys on.
public struct RelayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The API whose token let the request in (`submit`, `admin`), set by `RequireToken`.
    public var caller: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client as the throttle sees it: its IP address without the port (a new connection is the same client).
    var clientKey: String {
        remoteAddress?.ipAddress ?? "unknown"
    }
}
