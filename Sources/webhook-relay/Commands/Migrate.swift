import ArgumentParser
import RelayAssembly
import RelayStore
import Logging

/// `webhook-relay migrate`: brings the store's schema up to date and exits.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the store's schema, then exit.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.load()
        let store = try configuration.openStore(logger: Logger(label: "relay.migrate"))
        try await store.migrate()
        try await store.close()
        print("schema is current")
    }
}
