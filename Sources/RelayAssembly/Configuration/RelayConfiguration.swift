import Foundation
import Logging
import RelayApplication
import RelayContracts
import RelayCore
import RelayDelivery
import RelayHTTP
import RelayStore

/// The relay's whole configuration, resolved and checked.
public struct RelayConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var database: DatabaseLocation
    public var publicURL: String
    public var settings: RelaySettings
    /// What the use cases apply where their input is silent.
    public var policy: RelayApplication.Policy
    public var controlPlane: ControlPlaneSettings?
    /// Base64 of the key callback capability tokens are derived from; nil means the key file beside the SQLite file.
    public var callbackKey: [UInt8]?
    /// Signs forwards to requests' own callback URLs; nil sends them unsigned.
    public var callbackSigningSecret: WebhookSecret?
    /// When a failing endpoint is paused and probed.
    public var circuit: CircuitBreaker
    public var forwardDeadline: TimeInterval
    public var retry: RetryPolicy
    public var dispatcher: DispatcherOptions
    public var retention: RetentionOptions
    public var sqliteSynchronous: SQLiteDriver.Synchronous
    public var postgresConnections: Int
    /// How long an operation waits for a pooled connection before probing the database's port.
    public var postgresLeaseTimeout: Duration
    /// The deadline of any one database operation.
    public var postgresOperationTimeout: Duration
    public var egress: EgressPolicy
    /// How failed credentials are slowed and refused, per client address.
    public var throttle: FailureThrottle.Policy
    public var logLevel: Logger.Level
    /// The config file that was read, when one was: the owner of `declaredEndpoints`.
    public var file: String?
    /// The file's `endpoints:` list (SPEC §15), reconciled at start.
    public var declaredEndpoints: [EndpointChanges]
    /// `endpoints_prune`: endpoints the file no longer declares are disabled rather than handed back to the API.
    public var pruneEndpoints: Bool
    /// `ops.url` and `ops.secret`: where operational events go (SPEC §14).
    public var events: OperationalEvents?

    public enum DatabaseLocation: Equatable, Sendable {
        case sqlite(path: String)
        case postgres(url: String)

        /// For logs: a PostgreSQL URL without its password.
        public var redacted: String {
            switch self {
            case .sqlite(let path): return "sqlite:" + path
            case .postgres(let url):
                guard var components = URLComponents(string: url) else { return "postgres://(unparsable URL)" }
                if components.password != nil { components.password = "REDACTED" }
                return components.string ?? "postgres://(unparsable URL)"
            }
        }
    }

    public static func load(path: String, required: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RelayConfiguration {
        try resolve(try SettingValues.load(path: path, required: required, environment: environment), environment: environment)
    }

    static func resolve(_ values: SettingValues, environment: [String: String]) throws -> RelayConfiguration {
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
            if let password = URLComponents(string: databaseText)?.password, SecretStrength.isExample(password) {
                throw ConfigurationError("database (from \(values.origin("database"))) has the example password from the manifests; set the database's real password")
            }
            database = .postgres(url: databaseText)
        } else {
            throw ConfigurationError("database (from \(values.origin("database"))) must be sqlite:PATH or a postgres:// URL")
        }

        let tokens = [("admin_token", values.string("admin_token")), ("submit_token", values.string("submit_token")),
                      ("callback_token", values.string("callback_token"))]
        let given = tokens.compactMap { name, value in value.map { (name, $0) } }
        for (index, (name, value)) in given.enumerated() {
            if let problem = SecretStrength.problem(value, minimumBytes: SecretStrength.minimumTokenBytes) {
                throw ConfigurationError("\(name) (from \(values.origin(name))) \(problem); generate one with `openssl rand -hex 32`")
            }
            if let twin = given[(index + 1)...].first(where: { $0.1 == value }) {
                throw ConfigurationError("\(name) and \(twin.0) must differ: each token opens a different door")
            }
        }

        var controlPlane: ControlPlaneSettings?
        if let url = values.string("control_plane.url") {
            let format = try values.choice("control_plane.format")
            let settings = ControlPlaneSettings(url: url, format: format, token: values.string("control_plane.token"),
                                                rawSecret: values.string("control_plane.secret"),
                                                callbackSource: values.string("control_plane.callback_source") ?? "webhook-relay")
            if let problem = Contracts.controlPlaneFormats.first(where: { $0.name == format })?.problem(settings) {
                throw ConfigurationError("\(problem) (control_plane.format \(format))")
            }
            if let token = values.string("control_plane.token"),
               let problem = SecretStrength.problem(token, minimumBytes: SecretStrength.minimumTokenBytes) {
                throw ConfigurationError("control_plane.token (from \(values.origin("control_plane.token"))) \(problem); use the token the control plane was given")
            }
            if let problem = DeliveryURL.problem(url) ?? DeliveryURL.refusal(url) {
                throw ConfigurationError("control_plane.url (from \(values.origin("control_plane.url"))) \(problem)")
            }
            controlPlane = settings
        } else if values.string("control_plane.format") == "kodex" {
            // Every other format without a URL is the default, which sends nothing; kodex named without one is a mistake.
            throw ConfigurationError("control_plane.format is kodex but control_plane.url (RELAY_CONTROL_PLANE_URL) is not set: give integration-gateway's base URL")
        }

        let retry = RetryPolicy(
            base: Double(try values.int("retry.base_ms")) / 1000,
            cap: Double(try values.int("retry.cap_ms")) / 1000,
            maxAttempts: try values.int("retry.max_attempts"),
            attemptTimeout: Double(try values.int("retry.delivery_timeout_ms")) / 1000,
            connectTimeout: Double(try values.int("retry.connect_timeout_ms")) / 1000
        )
        var callbackSigningSecret: WebhookSecret?
        if let text = values.string("callback_signing_secret") {
            guard let secret = WebhookSecret(text) else {
                throw ConfigurationError("callback_signing_secret (from \(values.origin("callback_signing_secret"))) must be whsec_ followed by the base64 of 24 to 64 random bytes, e.g. whsec_$(openssl rand -base64 32)")
            }
            callbackSigningSecret = secret
        }
        var callbackKey: [UInt8]?
        if let text = values.string("callback_key") {
            if SecretStrength.isExample(text) {
                throw ConfigurationError("callback_key (from \(values.origin("callback_key"))) is the example value from the manifests; generate one with `openssl rand -base64 32`")
            }
            guard let data = Data(base64Encoded: text), data.count >= 32 else {
                throw ConfigurationError("callback_key (from \(values.origin("callback_key"))) must be the base64 of at least 32 random bytes, e.g. `openssl rand -base64 32`")
            }
            if SecretStrength.isExample(String(decoding: data, as: UTF8.self)) {
                throw ConfigurationError("callback_key (from \(values.origin("callback_key"))) is the example value from the manifests; generate one with `openssl rand -base64 32`")
            }
            callbackKey = Array(data)
        }
        let settings = RelaySettings(
            adminToken: values.string("admin_token"), submitToken: values.string("submit_token"),
            callbackToken: values.string("callback_token"),
            maxBodyBytes: try values.int("max_body_bytes"),
            idleTimeout: TimeInterval(try values.int("idle_timeout_sec")),
            consoleEnabled: try values.bool("console.enabled"),
            consoleSessionHours: try values.int("console.session_hours"),
            requestReadTimeout: Double(try values.int("http.request_timeout_ms")) / 1000,
            maxConnections: try values.int("http.max_connections")
        )
        let policy = RelayApplication.Policy(
            defaultRequestTimeout: TimeInterval(try values.int("request_timeout_sec")),
            defaultEndpointConcurrency: try values.int("delivery.endpoint_concurrency"),
            secretRotationGrace: TimeInterval(try values.int("secret_rotation_grace_sec")),
            maxWaitSec: try values.int("http.max_wait_sec")
        )
        let dispatcher = DispatcherOptions(
            globalConcurrency: try values.int("delivery.global_concurrency"),
            claimBatch: try values.int("delivery.claim_batch"),
            forwardConcurrency: try values.int("delivery.forward_concurrency"),
            pollInterval: .milliseconds(try values.int("delivery.poll_interval_ms")),
            shutdownGrace: .milliseconds(try values.int("delivery.shutdown_grace_ms")),
            retry: retry,
            leaseMargin: Double(try values.int("delivery.lease_margin_ms")) / 1000,
            callbackURLConcurrency: try values.int("delivery.callback_url_concurrency"),
            instanceTimeout: Double(try values.int("delivery.instance_timeout_ms")) / 1000
        )
        let retentionDays = try values.int("retention.days")
        let retention = RetentionOptions(
            age: retentionDays == 0 ? nil : TimeInterval(retentionDays) * 86_400,
            interval: .seconds(try values.int("retention.sweep_interval_sec")),
            batchSize: try values.int("retention.batch_size")
        )
        let synchronous = SQLiteDriver.Synchronous(rawValue: try values.choice("sqlite.synchronous").uppercased())!
        let egressMode = EgressPolicy.Mode(rawValue: try values.choice("egress.mode"))!
        let egressAllow = try values.list("egress.allow").map { text in
            guard let range = IPRange(text) else {
                throw ConfigurationError("egress.allow (from \(values.origin("egress.allow"))) holds \(text), which is not a CIDR range such as 10.0.0.0/8")
            }
            return range
        }
        let level = Logger.Level(rawValue: try values.choice("log_level"))!
        let publicURL = values.string("public_url") ?? "http://\(listen)"
        guard let parsed = URL(string: publicURL), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil,
              !publicURL.contains("\"") else {
            throw ConfigurationError("public_url (from \(values.origin("public_url"))) must be an absolute http or https URL adapters can reach")
        }
        return RelayConfiguration(
            host: host, port: port, database: database, publicURL: publicURL,
            settings: settings, policy: policy, controlPlane: controlPlane, callbackKey: callbackKey, callbackSigningSecret: callbackSigningSecret,
            circuit: CircuitBreaker(
                failureThreshold: try values.int("delivery.circuit_failures"),
                probeInterval: Double(try values.int("delivery.circuit_probe_interval_ms")) / 1000
            ),
            forwardDeadline: TimeInterval(try values.int("forward_deadline_sec")), retry: retry, dispatcher: dispatcher,
            retention: retention, sqliteSynchronous: synchronous,
            postgresConnections: try values.int("postgres.max_connections"),
            postgresLeaseTimeout: .milliseconds(try values.int("postgres.lease_timeout_ms")),
            postgresOperationTimeout: .milliseconds(try values.int("postgres.operation_timeout_ms")),
            egress: EgressPolicy(mode: egressMode, allow: egressAllow),
            throttle: try Self.throttlePolicy(values),
            logLevel: level,
            file: values.file,
            declaredEndpoints: try values.file.map {
                try DeclaredEndpoints.read(values.declaredEndpoints, file: $0, environment: environment,
                                           defaultConcurrency: policy.defaultEndpointConcurrency)
            } ?? [],
            pruneEndpoints: try values.bool("endpoints_prune"),
            events: try Self.events(values, egress: EgressPolicy(mode: egressMode, allow: egressAllow),
                                    window: TimeInterval(try values.int("forward_deadline_sec")))
        )
    }

    /// `ops.url` with its secret: a URL the relay delivers to, whose host (when an address) the egress policy allows.
    static func events(_ values: SettingValues, egress: EgressPolicy, window: TimeInterval) throws -> OperationalEvents? {
        guard let url = values.string("ops.url") else {
            if values.string("ops.secret") != nil { throw ConfigurationError("ops.secret is set without ops.url: set both, or neither") }
            return nil
        }
        let origin = values.origin("ops.url")
        if let problem = DeliveryURL.problem(url) ?? DeliveryURL.refusal(url) { throw ConfigurationError("ops.url (from \(origin)) \(problem)") }
        if let host = URL(string: url)?.host, let address = IPAddress(host), let refusal = egress.refusal(for: address) {
            throw ConfigurationError("ops.url (from \(origin)) is refused by the egress policy: \(refusal)")
        }
        guard let text = values.string("ops.secret"), let secret = WebhookSecret(text) else {
            throw ConfigurationError("ops.url needs ops.secret (RELAY_OPS_SECRET), whsec_ followed by the base64 of 24 to 64 random bytes: the events are signed")
        }
        return OperationalEvents(url: url, secret: secret, window: window)
    }

    static func throttlePolicy(_ values: SettingValues) throws -> FailureThrottle.Policy {
        let delay = try values.int("security.failed_auth_delay_ms")
        return FailureThrottle.Policy(
            limit: try values.int("security.failed_auth_limit"),
            window: TimeInterval(try values.int("security.failed_auth_window_sec")),
            baseDelay: .milliseconds(delay), maximumDelay: .milliseconds(delay * 20)
        )
    }

    /// The key callback capability tokens are derived from: `callback_key`, or for SQLite a key file
    /// beside the database (created once, mode 0600), so capability URLs survive restarts.
    public func loadCallbackKey() throws -> [UInt8] {
        if let callbackKey { return callbackKey }
        guard let file = callbackKeyFile else {
            throw ConfigurationError("callback_key (RELAY_CALLBACK_KEY) is required with PostgreSQL: every instance must derive the same callback URLs")
        }
        if FileManager.default.fileExists(atPath: file.path) {
            // A key file that is there but unusable stops the start: writing a new key would silently change
            // every callback URL adapters hold.
            guard let text = try? String(contentsOf: file, encoding: .utf8),
                  let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count >= 32 else {
                throw ConfigurationError("the callback key file \(file.path) does not hold the base64 of at least 32 bytes; restore it from a backup, or delete it to have a new key made (every callback URL handed out so far stops working)")
            }
            return Array(data)
        }
        let key = SecureBytes.generate(32)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        guard FileManager.default.createFile(atPath: file.path, contents: Data(Data(key).base64EncodedString().utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError("cannot write the callback key file \(file.path); set RELAY_CALLBACK_KEY instead")
        }
        return key
    }

    /// Forward planning and callback capabilities, shared by the HTTP surface and the dispatcher.
    public func routing() throws -> DeliveryRouting {
        DeliveryRouting(
            planner: ForwardPlanner(contracts: Contracts.forwards(callbackSigningSecret: callbackSigningSecret, controlPlane: controlPlane),
                                    forwardWindow: forwardDeadline, events: events),
            capability: CallbackCapability(key: try loadCallbackKey(), publicURL: publicURL)
        )
    }

    /// The key file beside a SQLite database, when the key is not configured (`callback_key`).
    public var callbackKeyFile: URL? {
        guard callbackKey == nil, case .sqlite(let path) = database else { return nil }
        return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("callback.key")
    }

    /// `serve`'s hold on a SQLite database (one `serve` per file); nil for PostgreSQL, where instances share.
    public func lockForServing() throws -> ServeLock? {
        guard case .sqlite(let path) = database else { return nil }
        do {
            return try ServeLock.acquire(databasePath: path)
        } catch let error as StoreError {
            throw ConfigurationError(error.description)
        }
    }

    /// Opens the configured store.
    public func openStore(logger: Logger) throws -> any RelayStore {
        switch database {
        case .sqlite(let path):
            return try StoreEngine.sqlite(path: path, synchronous: sqliteSynchronous, circuit: circuit, logger: logger)
        case .postgres(let url):
            do {
                return try StoreEngine.postgres(url: url, circuit: circuit, maxConnections: postgresConnections,
                                              leaseTimeout: postgresLeaseTimeout, operationTimeout: postgresOperationTimeout, logger: logger)
            } catch {
                throw ConfigurationError("database (RELAY_DATABASE) is not a usable PostgreSQL URL: \(error); expected postgres://user:password@host:5432/database")
            }
        }
    }
}

extension RelayConfiguration {
    /// The running relay this configuration describes.
    public func blueprint(clock: any RelayClock = SystemClock()) throws -> RelayBlueprint {
        RelayBlueprint(host: host, port: port, settings: settings, policy: policy, routing: try routing(), dispatcher: dispatcher,
                       retention: retention, egress: EgressGuard(policy: egress), throttle: FailureThrottle(policy: throttle), clock: clock)
    }
}

extension RelayConfiguration {
    /// What `serve` says when it starts: the version, the store, and every door left without a token.
    public func logStartup(_ logger: Logger) {
        logger.info("relay starting", metadata: [
            "version": "\(RelayVersion.current)", "database": "\(database.redacted)",
            "public_url": "\(publicURL)", "egress": "\(egress.mode.rawValue)",
        ])
        if settings.adminToken == nil { logger.warning("no admin token (RELAY_ADMIN_TOKEN): the admin API refuses every call") }
        if settings.submitToken == nil { logger.warning("no submit token (RELAY_SUBMIT_TOKEN): the submit API refuses every call") }
        if settings.callbackToken == nil {
            logger.notice("no callback token (RELAY_CALLBACK_TOKEN): the shared-token callback paths refuse every call")
        }
    }
}
