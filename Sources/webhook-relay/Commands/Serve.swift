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
        // Before the HTTP client exists: a refusal here (an unusable callback key) must not leave it unclosed.
        let blueprint = try configuration.blueprint()
        let relay = try AssembledRelay(blueprint, store: store, gracefulShutdownSignals: [.sigterm, .sigint])
        configuration.logStartup(logger)
        if let file = configuration.file {
            _ = try await relay.application.reconcile(configuration.declaredEndpoints, file: file, prune: configuration.pruneEndpoints)
        }
        try await relay.run()
        logger.info("relay stopped")
        try await store.close()
        withExtendedLifetime(lock) {}
    }
}
