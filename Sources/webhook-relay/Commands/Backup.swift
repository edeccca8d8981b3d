import ArgumentParser
import Foundation
import RelayApplication
import RelayAssembly
import RelayStore

/// `webhook-relay backup PATH` and `webhook-relay restore PATH` (SPEC §17).
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent copy of the SQLite store (and its callback key) to PATH, while serve runs."
    )
    @OptionGroup var options: ConfigOptions
    @Argument(help: "A new file for the copy (0600); its callback key goes to PATH.key.") var path: String

    func run() async throws {
        let configuration = try options.load()
        let written = try await withApplication(options) { application in
            do {
                return try await RelayBackup.write(configuration, store: application.store, to: path)
            } catch let error as StoreError {
                throw ValidationError(error.description)
            }
        }
        let summary = written.summary
        print("backed up to \(path): schema \(summary.schemaVersion), \(summary.requests) request(s), \(summary.pendingMessages) message(s) still to deliver")
        if let key = written.keyCopy {
            print("callback key copied to \(key): keep the two files together")
        } else {
            print("the callback key is configured (callback_key, RELAY_CALLBACK_KEY): keep it with the backup")
        }
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a backup (and PATH.key) in place of the SQLite store; the relay must be stopped."
    )
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The backup file written by webhook-relay backup.") var path: String

    func run() async throws {
        let configuration = try options.load()
        let restored: RelayBackup.Restored
        do {
            restored = try RelayBackup.restore(configuration, from: path)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        let summary = restored.summary
        print("restored \(path) to \(restored.database): schema \(summary.schemaVersion), \(summary.requests) request(s), \(summary.pendingMessages) message(s) still to deliver, with their ids, once serve starts")
        if let aside = restored.movedAside { print("the database that was there is kept as \(aside)") }
        print(restored.keyRestored ? "callback key restored from \(path).key" : "no \(path).key restored: the relay derives callback URLs from its configured key")
    }
}
