import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import RelayCore
import RelayDelivery
import RelayHTTP
import RelayStore
import ServiceLifecycle
import UnixSignals

/// `webhook-relay serve`: runs the HTTP surface and the dispatcher until SIGTERM / SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the relay (the default command).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.load()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "relay")
        // Held until the process ends: a second `serve` on the same SQLite file stops here, naming this one.
        let lock = try configuration.lockForServing()
        let store = try configuration.openStore(logger: Logger(label: "relay.store"))
        try await store.migrate()
        try await RelayServer(configuration: configuration, store: store, logger: logger).run()
        try await store.close()
        withExtendedLifetime(lock) {}
    }
}

/// The running relay: HTTP surface and dispatcher in one service group with ordered graceful shutdown.
struct RelayServer {
    let configuration: RelayConfiguration
    let store: any RelayStore
    let logger: Logger

    func run() async throws {
        let wake = WakeSignal()
        let clock = SystemClock()
        let egress = EgressGuard(policy: configuration.egress)
        // Before the HTTP client exists: a refusal here (an unusable callback key) must not leave it unclosed.
        let routing = try configuration.routing()
        let client = HTTPDeliverer.makeClient(
            connectTimeout: configuration.retry.connectTimeout,
            connectionsPerHost: configuration.settings.defaultEndpointConcurrency, egress: egress
        )
        let dependencies = RelayDependencies(store: store, settings: configuration.settings, clock: clock, wake: wake, routing: routing,
                                             throttle: FailureThrottle(policy: configuration.throttle))
        let dispatcher = Dispatcher(
            store: store, deliverer: HTTPDeliverer(client: client, egress: egress, bodyLimit: configuration.settings.maxBodyBytes),
            clock: clock, options: configuration.dispatcher,
            routing: routing, wake: wake, metrics: dependencies.metrics, logger: Logger(label: "relay.dispatcher")
        )
        let retention = RetentionSweeper(
            store: store, clock: clock, options: configuration.retention, metrics: dependencies.metrics,
            logger: Logger(label: "relay.retention")
        )
        let logger = self.logger
        let app = Application(
            router: try RelayRouter.build(dependencies),
            server: RelayRouter.server(configuration.settings),
            configuration: RelayRouter.configuration(host: configuration.host, port: configuration.port, configuration.settings),
            onServerRunning: { channel in
                logger.info("relay listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
            },
            logger: Logger(label: "relay.http")
        )
        logStartup()
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: retention), .init(service: dispatcher), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        do {
            try await group.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        logger.info("relay stopped")
    }

    private func logStartup() {
        let settings = configuration.settings
        logger.info("relay starting", metadata: [
            "version": "\(RelayVersion.current)", "database": "\(configuration.database.redacted)",
            "public_url": "\(configuration.publicURL)", "egress": "\(configuration.egress.mode.rawValue)",
        ])
        if settings.adminToken == nil { logger.warning("no admin token (RELAY_ADMIN_TOKEN): the admin API refuses every call") }
        if settings.submitToken == nil { logger.warning("no submit token (RELAY_SUBMIT_TOKEN): the submit API refuses every call") }
        if settings.callbackToken == nil {
            logger.notice("no callback token (RELAY_CALLBACK_TOKEN): the shared-token callback paths refuse every call")
        }
    }
}
