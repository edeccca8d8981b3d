import ArgumentParser
import Foundation
import Logging
import RelayApplication
import RelayAssembly
import RelayCore
import RelayDelivery
import RelayStore

/// `--config`, shared by every command.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The configuration file; environment variables (RELAY_…) override it.")
    var config: String?

    static let defaultPath = "Config/relay.yaml"

    func load() throws -> RelayConfiguration {
        do {
            return try RelayConfiguration.load(path: config ?? Self.defaultPath, required: config != nil)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }
}

/// Opens the store for a one-shot command and hands the use cases to `body`; a refusal becomes the command's error.
func withApplication<T>(_ options: ConfigOptions, _ body: (RelayApplication) async throws -> T) async throws -> T {
    let configuration = try options.load()
    let logger = Logger(label: "relay.cli")
    let store = try configuration.openStore(logger: logger)
    try await store.migrate()
    let application = RelayApplication(store: store, clock: SystemClock(), wake: WakeSignal(), routing: try configuration.routing(),
                                       metrics: .disabled, policy: configuration.policy, logger: logger)
    do {
        let result = try await body(application)
        try await store.close()
        return result
    } catch let error as RelayError {
        try? await store.close()
        throw ValidationError(error.message)
    } catch {
        try? await store.close()
        throw error
    }
}

/// Prints a value as the API would answer it.
func printJSON(_ value: some Encodable) {
    print(String(decoding: APIJSON.encode(value), as: UTF8.self))
}
