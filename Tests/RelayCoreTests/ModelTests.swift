import Foundation
import RelayCore
import Testing

@Suite struct ModelTests {
    @Test(arguments: [
        ("*", "anything", true), ("github_*", "github_create_secret", true), ("github_*", "gitlab_x", false),
        ("exact", "exact", true), ("exact", "exactly", false), ("*_secret", "create_secret", true),
        ("a*b*c", "a-x-b-y-c", true), ("a*b*c", "a-x-c", false),
    ])
    func toolPatterns(pattern: String, name: String, matches: Bool) {
        #expect(ToolPattern.matches(pattern, name) == matches)
    }

    @Test func endpointWithoutFilterServesEveryTool() {
        let endpoint = Endpoint(id: "ep", name: "e", role: .approver, url: "http://x", secrets: [], concurrency: 1,
                                createdAt: Date(), updatedAt: Date())
        #expect(endpoint.serves(tool: "whatever"))
    }

    @Test func expiredSecretsStopSigning() {
        let now = Date(timeIntervalSince1970: 1000)
        let endpoint = Endpoint(
            id: "ep", name: "e", role: .approver, url: "http://x",
            secrets: [SigningSecret(secret: "new"), SigningSecret(secret: "old", expiresAt: now.addingTimeInterval(10))],
            concurrency: 1, createdAt: now, updatedAt: now
        )
        #expect(endpoint.activeSecrets(at: now).map(\.secret) == ["new", "old"])
        #expect(endpoint.activeSecrets(at: now.addingTimeInterval(10)).map(\.secret) == ["new"])
    }

    /// SPEC §2 and §12: every pair of (state, decision), against the spec's list of transitions.
    @Test func transitionTable() {
        let spec: Set<String> = ["requested>approved", "requested>applied", "requested>denied", "requested>expired",
                                 "requested>failed", "approved>applied", "approved>failed", "requested>cancelled"]
        for state in RequestState.allCases {
            for decision in Decision.allCases {
                let target = RequestState(decision)
                let result = RequestTransitions.apply(decision, to: state)
                if target == state {
                    #expect(result == .duplicate)
                } else if spec.contains("\(state.rawValue)>\(target.rawValue)") {
                    #expect(result == .moved(to: target))
                } else {
                    #expect(result == .refused(current: state))
                }
            }
        }
        #expect(RequestState.requested.isTerminal == false && RequestState.approved.isTerminal == false)
        #expect([RequestState.applied, .denied, .expired, .failed, .cancelled].allSatisfy { $0.isTerminal })
        #expect(RequestState.allCases.filter { !$0.isResolved } == [.requested])
    }

    @Test func identifiersSortByTime() {
        let early = Identifier.make("msg", at: Date(timeIntervalSince1970: 1000))
        let late = Identifier.make("msg", at: Date(timeIntervalSince1970: 1001))
        #expect(early < late)
        #expect(early.hasPrefix("msg_") && early.count == 4 + 26)
    }

    @Test func jsonValueKeepsLargeIntegersExact() throws {
        let value = try #require(JSONValue.parse(Data(#"{"id":9007199254740993,"f":1.5}"#.utf8)))
        #expect(value["id"]?.int64Value == 9_007_199_254_740_993)
        #expect(String(decoding: value.encoded(), as: UTF8.self) == #"{"f":1.5,"id":9007199254740993}"#)
    }
}
