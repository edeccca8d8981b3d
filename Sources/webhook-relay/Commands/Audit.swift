import ArgumentParser
import Foundation
import RelayApplication
import RelayCore
import RelayStore

/// `webhook-relay audit verify | export`: the audit trail (SPEC §12), on the store directly.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check and export the audit trail.", subcommands: [Verify.self, Export.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain of the audit trail; names the first broken link and exits 1 when there is one."
        )
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let verification = try await withApplication(options) { application in try await application.verifyAudit() }
            if let broken = verification.broken {
                print("audit trail BROKEN after \(verification.checked) intact entries: \(broken)")
                throw ExitCode(1)
            }
            print("audit trail intact: \(verification.checked) entries, head \(verification.head.seq) \(verification.head.hash)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the audit trail as NDJSON, one entry per line, in chain order.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Entries recorded since this time (ISO 8601 or unix seconds).") var since: String?
        @Option(help: "Entries recorded before this time (ISO 8601 or unix seconds).") var until: String?

        func run() async throws {
            try await withApplication(options) { application in
                let (from, to) = (try APITime.filter(since, field: "since"), try APITime.filter(until, field: "until"))
                var after: Int64 = 0
                while true {
                    let page = try await application.auditEntries(since: from, until: to, after: after, limit: 1000)
                    for entry in page { print(String(decoding: APIJSON.encode(AuditEntryView(entry)), as: UTF8.self)) }
                    guard page.count == 1000, let last = page.last else { break }
                    after = last.seq
                }
            }
        }
    }
}
