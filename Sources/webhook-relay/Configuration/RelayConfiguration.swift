import Foundation
import Logging
import RelayCore
import RelayDelivery
import RelayHTTP
import RelayStore

/// The relay's whole configuration, resolved and checked.
struct RelayConfiguration {
    var host: String
    var port: Int
    var database: DatabaseLocation
    var publicURL: String
    var settings: RelaySettings
    var retry: RetryPolicy
    var dispatcher: DispatcherOptions
    var sqliteSynchronous: SQLiteStore.Synchronous
    var egressMode: String
    var egressAllow: [String]
    var logLevel: Logger.Level

    enum DatabaseLocation: Equatable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    static func load(path: String, required: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RelayConfiguration {
        try resolve(try SettingValues.load(path: path, required: required, environment: environment))
    }

    static func resolve(_ values: SettingValues) throws -> RelayConfiguration {
        let listen = values.string("listen") ?? "127.0.0.1:8080"
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ConfigurationError("listen (from \(values.origin("listen"))) must be HOST:PORT, for example 127.0.0.1:8080")
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))

        let databaseText = values.string("database") ?? "sqlite:data/relay.sqlite"
        let database: DatabaseLocation
        if databaseText.hasPrefix("sqlite:") {
            database = .sqlite(path: String(databaseText.dropFirst("sqlite:".count)))
        } else if databaseText.hasPrefix("postgres://") || databaseText.hasPrefix("postgresql://") {
            database = .postgres(url: databaseText)
        } else {
            throw ConfigurationError("database (from \(values.origin("database"))) must be sqlite:PATH or a postgres:// URL")
        }

        let tokens = [("admin_token", values.string("admin_token")), ("submit_token", values.string("submit_token")),
                      ("callback_token", values.string("callback_token"))]
        let given = tokens.compactMap { name, value in value.map { (name, $0) } }
        for (index, (name, value)) in given.enumerated() {
            if let twin = given[(index + 1)...].first(where: { $0.1 == value }) {
                throw ConfigurationError("\(name) and \(twin.0) must differ: each token opens a different door")
            }
        }

        var controlPlane: ControlPlaneSink?
        if let url = values.string("control_plane.url") {
            guard let format = ControlPlaneSink.Format(rawValue: values.string("control_plane.format") ?? "codex-k8s") else {
                throw ConfigurationError("control_plane.format (from \(values.origin("control_plane.format"))) must be codex-k8s or native")
            }
            let secret = values.string("control_plane.secret")
            if let secret, WebhookSecret(secret) == nil {
                throw ConfigurationError("control_plane.secret must be whsec_ followed by the base64 of 24 to 64 bytes")
            }
            controlPlane = ControlPlaneSink(url: url, format: format, token: values.string("control_plane.token"), secret: secret)
        }

        let retry = RetryPolicy(
            base: Double(try values.int("retry.base_ms", in: 1...3_600_000)) / 1000,
            cap: Double(try values.int("retry.cap_ms", in: 1...86_400_000)) / 1000,
            maxAttempts: try values.int("retry.max_attempts", in: 1...100),
            attemptTimeout: Double(try values.int("retry.delivery_timeout_ms", in: 100...600_000)) / 1000,
            connectTimeout: Double(try values.int("retry.connect_timeout_ms", in: 100...600_000)) / 1000
        )
        let settings = RelaySettings(
            adminToken: values.string("admin_token"), submitToken: values.string("submit_token"),
            callbackToken: values.string("callback_token"), controlPlane: controlPlane,
            defaultRequestTimeout: TimeInterval(try values.int("request_timeout_sec", in: 1...(30 * 86400))),
            maxBodyBytes: try values.int("max_body_bytes", in: 1024...(64 * 1024 * 1024)),
            defaultEndpointConcurrency: try values.int("delivery.endpoint_concurrency", in: 1...1024),
            secretRotationGrace: TimeInterval(try values.int("secret_rotation_grace_sec", in: 0...(30 * 86400)))
        )
        let dispatcher = DispatcherOptions(
            globalConcurrency: try values.int("delivery.global_concurrency", in: 1...10_000),
            claimBatch: try values.int("delivery.claim_batch", in: 1...1000),
            pollInterval: .milliseconds(try values.int("delivery.poll_interval_ms", in: 10...60_000)),
            shutdownGrace: .milliseconds(try values.int("delivery.shutdown_grace_ms", in: 0...600_000)),
            retry: retry
        )
        guard let synchronous = SQLiteStore.Synchronous(rawValue: (values.string("sqlite.synchronous") ?? "full").uppercased()) else {
            throw ConfigurationError("sqlite.synchronous must be full or normal")
        }
        let egressMode = values.string("egress.mode") ?? "default"
        guard ["default", "strict"].contains(egressMode) else {
            throw ConfigurationError("egress.mode (from \(values.origin("egress.mode"))) must be default or strict")
        }
        guard let level = Logger.Level(rawValue: values.string("log_level") ?? "info") else {
            throw ConfigurationError("log_level must be one of trace, debug, info, notice, warning, error, critical")
        }
        return RelayConfiguration(
            host: host, port: port, database: database,
            publicURL: values.string("public_url") ?? "http://\(listen)",
            settings: settings, retry: retry, dispatcher: dispatcher, sqliteSynchronous: synchronous,
            egressMode: egressMode,
            egressAllow: (values.string("egress.allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
            logLevel: level
        )
    }

    /// Opens the configured store.
    func openStore(logger: Logger) throws -> any RelayStore {
        switch database {
        case .sqlite(let path):
            return try SQLiteStore(path: path, synchronous: sqliteSynchronous, logger: logger)
        case .postgres:
            throw ConfigurationError("PostgreSQL is not available in this build yet; use database: sqlite:PATH")
        }
    }
}
