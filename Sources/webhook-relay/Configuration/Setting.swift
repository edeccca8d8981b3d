/// Every setting of the relay: its key in `Config/relay.yaml`, its environment override and its
/// default. The one table that the loader, the docs and the deploy checks read.
struct Setting: Sendable {
    let key: String
    let environment: String
    let defaultValue: String?

    static let all: [Setting] = [
        Setting(key: "listen", environment: "RELAY_LISTEN", defaultValue: "127.0.0.1:8080"),
        Setting(key: "database", environment: "RELAY_DATABASE", defaultValue: "sqlite:data/relay.sqlite"),
        Setting(key: "public_url", environment: "RELAY_PUBLIC_URL", defaultValue: nil),
        Setting(key: "admin_token", environment: "RELAY_ADMIN_TOKEN", defaultValue: nil),
        Setting(key: "submit_token", environment: "RELAY_SUBMIT_TOKEN", defaultValue: nil),
        Setting(key: "callback_token", environment: "RELAY_CALLBACK_TOKEN", defaultValue: nil),
        Setting(key: "callback_key", environment: "RELAY_CALLBACK_KEY", defaultValue: nil),
        Setting(key: "control_plane.url", environment: "RELAY_CONTROL_PLANE_URL", defaultValue: nil),
        Setting(key: "control_plane.format", environment: "RELAY_CONTROL_PLANE_FORMAT", defaultValue: "codex-k8s"),
        Setting(key: "control_plane.token", environment: "RELAY_CONTROL_PLANE_TOKEN", defaultValue: nil),
        Setting(key: "control_plane.secret", environment: "RELAY_CONTROL_PLANE_SECRET", defaultValue: nil),
        Setting(key: "request_timeout_sec", environment: "RELAY_REQUEST_TIMEOUT_SEC", defaultValue: "3600"),
        Setting(key: "idle_timeout_sec", environment: "RELAY_IDLE_TIMEOUT_SEC", defaultValue: "30"),
        Setting(key: "console.enabled", environment: "RELAY_CONSOLE_ENABLED", defaultValue: "true"),
        Setting(key: "console.session_hours", environment: "RELAY_CONSOLE_SESSION_HOURS", defaultValue: "8"),
        Setting(key: "max_body_bytes", environment: "RELAY_MAX_BODY_BYTES", defaultValue: "262144"),
        Setting(key: "forward_deadline_sec", environment: "RELAY_FORWARD_DEADLINE_SEC", defaultValue: "86400"),
        Setting(key: "secret_rotation_grace_sec", environment: "RELAY_SECRET_ROTATION_GRACE_SEC", defaultValue: "86400"),
        Setting(key: "retry.base_ms", environment: "RELAY_RETRY_BASE_MS", defaultValue: "2000"),
        Setting(key: "retry.cap_ms", environment: "RELAY_RETRY_CAP_MS", defaultValue: "600000"),
        Setting(key: "retry.max_attempts", environment: "RELAY_RETRY_MAX_ATTEMPTS", defaultValue: "15"),
        Setting(key: "retry.delivery_timeout_ms", environment: "RELAY_DELIVERY_TIMEOUT_MS", defaultValue: "10000"),
        Setting(key: "retry.connect_timeout_ms", environment: "RELAY_CONNECT_TIMEOUT_MS", defaultValue: "3000"),
        Setting(key: "delivery.endpoint_concurrency", environment: "RELAY_ENDPOINT_CONCURRENCY", defaultValue: "8"),
        Setting(key: "delivery.global_concurrency", environment: "RELAY_GLOBAL_CONCURRENCY", defaultValue: "256"),
        Setting(key: "delivery.claim_batch", environment: "RELAY_CLAIM_BATCH", defaultValue: "64"),
        Setting(key: "delivery.forward_concurrency", environment: "RELAY_FORWARD_CONCURRENCY", defaultValue: "16"),
        Setting(key: "delivery.circuit_failures", environment: "RELAY_CIRCUIT_FAILURES", defaultValue: "20"),
        Setting(key: "delivery.circuit_probe_interval_ms", environment: "RELAY_CIRCUIT_PROBE_INTERVAL_MS", defaultValue: "30000"),
        Setting(key: "delivery.poll_interval_ms", environment: "RELAY_POLL_INTERVAL_MS", defaultValue: "1000"),
        Setting(key: "delivery.lease_margin_ms", environment: "RELAY_LEASE_MARGIN_MS", defaultValue: "30000"),
        Setting(key: "delivery.shutdown_grace_ms", environment: "RELAY_SHUTDOWN_GRACE_MS", defaultValue: "10000"),
        Setting(key: "egress.mode", environment: "RELAY_EGRESS", defaultValue: "default"),
        Setting(key: "egress.allow", environment: "RELAY_EGRESS_ALLOW", defaultValue: nil),
        Setting(key: "retention.days", environment: "RELAY_RETENTION_DAYS", defaultValue: "30"),
        Setting(key: "retention.sweep_interval_sec", environment: "RELAY_RETENTION_SWEEP_INTERVAL_SEC", defaultValue: "300"),
        Setting(key: "retention.batch_size", environment: "RELAY_RETENTION_BATCH_SIZE", defaultValue: "200"),
        Setting(key: "sqlite.synchronous", environment: "RELAY_SQLITE_SYNCHRONOUS", defaultValue: "full"),
        Setting(key: "postgres.max_connections", environment: "RELAY_POSTGRES_MAX_CONNECTIONS", defaultValue: "20"),
        Setting(key: "postgres.lease_timeout_ms", environment: "RELAY_POSTGRES_LEASE_TIMEOUT_MS", defaultValue: "5000"),
        Setting(key: "postgres.operation_timeout_ms", environment: "RELAY_POSTGRES_OPERATION_TIMEOUT_MS", defaultValue: "30000"),
        Setting(key: "log_level", environment: "RELAY_LOG_LEVEL", defaultValue: "info"),
    ]
}
