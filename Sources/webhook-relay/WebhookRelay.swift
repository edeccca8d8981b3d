import ArgumentParser
import RelayDelivery

/// `webhook-relay`: the durable relay between a control plane and its approver / executor adapters.
@main
struct WebhookRelay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-relay",
        abstract: "A durable relay for approval workflows.",
        version: RelayVersion.current,
        subcommands: [Serve.self, Migrate.self, Endpoints.self, Requests.self, DeadLetters.self, Audit.self, Backup.self, Restore.self, SampleAdapter.self, SampleControlPlane.self],
        defaultSubcommand: Serve.self
    )
}
