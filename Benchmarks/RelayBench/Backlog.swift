import Foundation
import RelayCore
import RelayStore

/// Writes a backlog straight into a stopped relay's SQLite store: requests with one pending delivery each,
/// shaped as the submit route makes them.
enum Backlog {
    static func seed(database: String, endpoint name: String, count: Int) async throws {
        guard database.hasPrefix("sqlite:") else { throw BenchError("the backlog scenario seeds SQLite") }
        // Seeding is set-up, not the measurement: it may skip the per-commit fsync.
        let store = try StoreEngine.sqlite(path: String(database.dropFirst("sqlite:".count)), synchronous: .normal)
        guard let endpoint = try await store.endpoint(idOrName: name) else { throw BenchError("no endpoint \(name)") }
        let now = Date()
        let deadline = now.addingTimeInterval(30 * 86_400)
        let workers = 64
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    for index in stride(from: worker, to: count, by: workers) {
                        let id = "b-\(index)"
                        let requestId = Identifier.make("req", at: now)
                        let payload = Data(RelayUnderTest.approvalBody(id: id, tool: "\(name)_tool", callback: "http://127.0.0.1:9/d").utf8)
                        let request = RelayRequest(
                            id: requestId, kind: .approval, correlationId: id, approvalRequestId: nil, tool: "\(name)_tool",
                            state: .requested, payload: payload, callbackURL: "http://127.0.0.1:9/d", deadline: deadline,
                            createdAt: now, updatedAt: now)
                        let message = Message(
                            id: Identifier.make("msg", at: now), requestId: requestId, endpointId: endpoint.id, endpointName: name,
                            purpose: .delivery, url: endpoint.url, body: payload, state: .pending, attemptCount: 0, dueAt: now,
                            deadline: deadline, createdAt: now, updatedAt: now)
                        _ = try await store.submit(NewRequest(request: request, messages: [message], idempotency: nil))
                    }
                }
            }
            try await group.waitForAll()
        }
        try await store.close()
    }
}
