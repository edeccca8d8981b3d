import Foundation
import HTTPTypes
import RelayCore
import Synchronization

/// Behaves like codex-k8s's api-gateway callback API (research notes §2.2): 401 on a wrong token, 500 for
/// an unknown `approval_request_id`, and 200 with the current `approval_state` otherwise — unchanged when
/// it refuses a transition; an `approved` decision is applied at once, so it answers `applied`.
final class CodexStandIn: Sendable {
    let token: String
    private let states = Mutex<[Int64: String]>([:])

    init(token: String, known: [Int64]) {
        self.token = token
        states.withLock { states in for id in known { states[id] = "requested" } }
    }

    func state(of id: Int64) -> String? { states.withLock { $0[id] } }

    func answer(_ request: ReceivedRequest) -> CannedAnswer {
        let presented = request.header("X-Codex-MCP-Token") ?? request.header("Authorization").map { String($0.dropFirst("Bearer ".count)) }
        guard presented == token else {
            return CannedAnswer(status: .unauthorized, body: #"{"code":"unauthorized","message":"invalid mcp callback token"}"#)
        }
        guard let body = JSONValue.parse(request.body), let id = body["approval_request_id"]?.int64Value,
              let decision = body["decision"]?.stringValue else {
            return CannedAnswer(status: .badRequest, body: #"{"code":"invalid_argument","message":"invalid JSON","field":"body"}"#)
        }
        let state: String? = states.withLock { states in
            guard let current = states[id] else { return nil }
            let allowed: [String: Set<String>] = ["requested": ["approved", "applied", "denied", "expired", "failed"], "approved": ["applied", "failed"]]
            if allowed[current, default: []].contains(decision) {
                states[id] = decision == "approved" ? "applied" : decision
            }
            return states[id]
        }
        guard let state else { return CannedAnswer(status: .internalServerError, body: #"{"code":"internal","message":"internal error"}"#) }
        return CannedAnswer(status: .ok, body: #"{"id":\#(id),"correlation_id":"run","approval_state":"\#(state)"}"#)
    }
}
