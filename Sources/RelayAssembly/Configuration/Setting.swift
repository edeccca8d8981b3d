import RelayContracts
import RelayCore

/// Every setting of the relay, declared once: its key in `Config/relay.yaml`, its environment override,
/// its default and what it may hold (a range, a choice, a secret). The loader, the deploy checks and the
/// error messages all read this table; `RelayConfiguration.resolve` only turns checked values into the
/// relay's types.
struct Setting: Sendable {
    enum Kind: Sendable {
        case text
        /// Redacted wherever swift-configuration reports a value (access logs, descriptions).
        case secret
        case int(ClosedRange<Int>)
        case bool
        case choice([String])
        /// A YAML list, or a comma-separated environment value.
        case list
    }

    let key: String
    let environment: String
    let defaultValue: String?
    let kind: Kind

    init(_ key: String, _ environment: String, _ defaultValue: String?, _ kind: Kind = .text) {
        self.key = key
        self.environment = environment
        self.defaultValue = defaultValue
        self.kind = kind
    }

    static let all: [Setting] = [
        Setting("listen", "RELAY_LISTEN", "127.0.0.1:8080"),
        Setting("database", "RELAY_DATABASE", "sqlite:data/relay.sqlite", .secret),
        Setting("public_url", "RELAY_PUBLIC_URL", nil),
        Setting("admin_token", "RELAY_ADMIN_TOKEN", nil, .secret),
        Setting("submit_token", "RELAY_SUBMIT_TOKEN", nil, .secret),
        Setting("callback_token", "RELAY_CALLBACK_TOKEN", nil, .secret),
        Setting("callback_key", "RELAY_CALLBACK_KEY", nil, .secret),
        Setting("callback_signing_secret", "RELAY_CALLBACK_SIGNING_SECRET", nil, .secret),
        Setting("control_plane.url", "RELAY_CONTROL_PLANE_URL", nil),
        Setting("control_plane.format", "RELAY_CONTROL_PLANE_FORMAT", "codex-k8s", .choice(Contracts.controlPlaneFormats.map(\.name))),
        Setting("control_plane.token", "RELAY_CONTROL_PLANE_TOKEN", nil, .secret),
        Setting("control_plane.secret", "RELAY_CONTROL_PLANE_SECRET", nil, .secret),
        Setting("control_plane.callback_source", "RELAY_CONTROL_PLANE_CALLBACK_SOURCE", "webhook-relay"),
        Setting("request_timeout_sec", "RELAY_REQUEST_TIMEOUT_SEC", "3600", .int(1...(30 * 86400))),
        Setting("idle_timeout_sec", "RELAY_IDLE_TIMEOUT_SEC", "30", .int(1...3600)),
        Setting("http.request_timeout_ms", "RELAY_HTTP_REQUEST_TIMEOUT_MS", "30000", .int(1000...600_000)),
        Setting("http.max_connections", "RELAY_HTTP_MAX_CONNECTIONS", "512", .int(1...100_000)),
        Setting("http.max_wait_sec", "RELAY_HTTP_MAX_WAIT_SEC", "60", .int(1...3600)),
        Setting("security.failed_auth_limit", "RELAY_FAILED_AUTH_LIMIT", "10", .int(1...1_000_000)),
        Setting("security.failed_auth_window_sec", "RELAY_FAILED_AUTH_WINDOW_SEC", "300", .int(1...86_400)),
        Setting("security.failed_auth_delay_ms", "RELAY_FAILED_AUTH_DELAY_MS", "100", .int(0...10_000)),
        Setting("console.enabled", "RELAY_CONSOLE_ENABLED", "true", .bool),
        Setting("console.session_hours", "RELAY_CONSOLE_SESSION_HOURS", "8", .int(1...24)),
        Setting("max_body_bytes", "RELAY_MAX_BODY_BYTES", "262144", .int(1024...(64 * 1024 * 1024))),
        Setting("forward_deadline_sec", "RELAY_FORWARD_DEADLINE_SEC", "86400", .int(60...(30 * 86400))),
        Setting("secret_rotation_grace_sec", "RELAY_SECRET_ROTATION_GRACE_SEC", "86400", .int(SecretRotation.graceRange)),
        Setting("retry.base_ms", "RELAY_RETRY_BASE_MS", "2000", .int(1...3_600_000)),
        Setting("retry.cap_ms", "RELAY_RETRY_CAP_MS", "600000", .int(1...86_400_000)),
        Setting("retry.max_attempts", "RELAY_RETRY_MAX_ATTEMPTS", "15", .int(EndpointSettings.maxAttemptsRange)),
        Setting("retry.delivery_timeout_ms", "RELAY_DELIVERY_TIMEOUT_MS", "10000", .int(EndpointSettings.timeoutRange)),
        Setting("retry.connect_timeout_ms", "RELAY_CONNECT_TIMEOUT_MS", "3000", .int(100...600_000)),
        Setting("delivery.endpoint_concurrency", "RELAY_ENDPOINT_CONCURRENCY", "8", .int(EndpointSettings.concurrencyRange)),
        Setting("delivery.global_concurrency", "RELAY_GLOBAL_CONCURRENCY", "256", .int(1...10_000)),
        Setting("delivery.claim_batch", "RELAY_CLAIM_BATCH", "64", .int(1...1000)),
        Setting("delivery.forward_concurrency", "RELAY_FORWARD_CONCURRENCY", "16", .int(1...1024)),
        Setting("delivery.callback_url_concurrency", "RELAY_CALLBACK_URL_CONCURRENCY", "8", .int(1...1024)),
        Setting("delivery.instance_timeout_ms", "RELAY_INSTANCE_TIMEOUT_MS", "10000", .int(1000...600_000)),
        Setting("delivery.circuit_failures", "RELAY_CIRCUIT_FAILURES", "20", .int(1...10_000)),
        Setting("delivery.circuit_probe_interval_ms", "RELAY_CIRCUIT_PROBE_INTERVAL_MS", "30000", .int(100...3_600_000)),
        Setting("delivery.poll_interval_ms", "RELAY_POLL_INTERVAL_MS", "1000", .int(10...60_000)),
        Setting("delivery.lease_margin_ms", "RELAY_LEASE_MARGIN_MS", "30000", .int(100...600_000)),
        Setting("delivery.shutdown_grace_ms", "RELAY_SHUTDOWN_GRACE_MS", "10000", .int(0...600_000)),
        Setting("egress.mode", "RELAY_EGRESS", "default", .choice(["default", "strict"])),
        Setting("egress.allow", "RELAY_EGRESS_ALLOW", nil, .list),
        Setting("retention.days", "RELAY_RETENTION_DAYS", "30", .int(0...36_500)),
        Setting("retention.sweep_interval_sec", "RELAY_RETENTION_SWEEP_INTERVAL_SEC", "300", .int(1...86_400)),
        Setting("retention.batch_size", "RELAY_RETENTION_BATCH_SIZE", "200", .int(1...10_000)),
        Setting("sqlite.synchronous", "RELAY_SQLITE_SYNCHRONOUS", "full", .choice(["full", "normal"])),
        Setting("postgres.max_connections", "RELAY_POSTGRES_MAX_CONNECTIONS", "20", .int(1...1000)),
        Setting("postgres.lease_timeout_ms", "RELAY_POSTGRES_LEASE_TIMEOUT_MS", "5000", .int(100...600_000)),
        Setting("postgres.operation_timeout_ms", "RELAY_POSTGRES_OPERATION_TIMEOUT_MS", "30000", .int(1000...3_600_000)),
        Setting("log_level", "RELAY_LOG_LEVEL", "info", .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"])),
        Setting("endpoints_prune", "RELAY_ENDPOINTS_PRUNE", "false", .bool),
        Setting("ops.url", "RELAY_OPS_URL", nil),
        Setting("ops.secret", "RELAY_OPS_SECRET", nil, .secret),
    ]

    static let byKey: [String: Setting] = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })
}
