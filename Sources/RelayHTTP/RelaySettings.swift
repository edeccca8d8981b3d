import Foundation
import Logging
import NIOCore
import RelayApplication
import RelayCore
import RelayDelivery

/// What the HTTP surface needs to know about the relay's configuration.
public struct RelaySettings: Sendable {
    public var adminToken: String?
    public var submitToken: String?
    public var callbackToken: String?
    public var maxBodyBytes: Int
    /// A connection with no bytes moving for this long is closed: a stalled body does not hold it forever.
    public var idleTimeout: TimeInterval
    /// A request must arrive whole within this, counted from when the relay starts waiting for it.
    public var requestReadTimeout: TimeInterval
    /// Open client connections at most; past it new connections wait in the listen backlog.
    public var maxConnections: Int
    /// Whether `/console` is served at all.
    public var consoleEnabled: Bool
    /// How long a console sign-in lasts.
    public var consoleSessionHours: Int

    public init(adminToken: String? = nil, submitToken: String? = nil, callbackToken: String? = nil,
                maxBodyBytes: Int = 256 * 1024, idleTimeout: TimeInterval = 30,
                consoleEnabled: Bool = true, consoleSessionHours: Int = 8, requestReadTimeout: TimeInterval = 30,
                maxConnections: Int = 512) {
        self.requestReadTimeout = requestReadTimeout
        self.maxConnections = maxConnections
        self.adminToken = adminToken
        self.submitToken = submitToken
        self.callbackToken = callbackToken
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeout = idleTimeout
        self.consoleEnabled = consoleEnabled
        self.consoleSessionHours = consoleSessionHours
    }
}
