import ArgumentParser
import Foundation
import Logging
import RelayApplication
import RelayAssembly
import RelayDelivery
import RelayStore
import ServiceLifecycle
import UnixSignals

/// `webhook-relay serve`: runs the HTTP surface and the dispatcher until SIGTERM / SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the relay (the default command).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.load()
        let environment = ProcessInfo.processInfo.environment
        let traced = try Observability.enabled(environment)
        // Inside a span, every log line carries its trace id (SPEC §14).
        LoggingSystem.bootstrap({ label, provider in
            var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
            handler.logLevel = configuration.logLevel
            return handler
        }, metadataProvider: traced ? Observability.loggingMetadataProvider() : nil)
        let logger = Logger(label: "relay")
        let (tracing, tracingService) = try Observability.tracing(environment: environment, logger: Logger(label: "relay.otel"))
        // Held until the process ends: a second `serve` on the same SQLite file stops here, naming this one.
        let lock = try configuration.lockForServing()
        let store = try configuration.openStore(logger: Logger(label: "relay.store"))
        try await store.migrate()
        // Before the HTTP client exists: a refusal here (an unusable callback key) must not leave it unclosed.
        var blueprint = try configuration.blueprint()
        blueprint.tracing = tracing
        blueprint.tracingService = tracingService
        let relay = try AssembledRelay(blueprint, store: store, gracefulShutdownSignals: [.sigterm, .sigint])
        configuration.logStartup(logger)
        if tracing.enabled { logger.info("exporting traces over OTLP/HTTP, as the OTEL_* environment sets it") }
        if let file = configuration.file {
            _ = try await relay.application.reconcile(configuration.declaredEndpoints, file: file, prune: configuration.pruneEndpoints)
        }
        try await relay.run()
        logger.info("relay stopped")
        try await store.close()
        withExtendedLifetime(lock) {}
    }
}
