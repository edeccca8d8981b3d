import Foundation
import RelayContracts
import RelayCore
import RelayStore
import RelayTestSupport

/// Every store test runs once per store.
let allStores = StoreKind.allCases

/// A fresh, migrated store of `kind` (a temporary SQLite file, or a new PostgreSQL database).
func makeStore(_ kind: StoreKind, circuit: CircuitBreaker = CircuitBreaker()) async throws -> any RelayStore {
    try await TestStores.make(kind, circuit: circuit)
}

/// A fresh store with endpoint `a` and request `c1` owing it one delivery, due at `t0`.
func storeWithOneRequest(_ kind: StoreKind) async throws -> (any RelayStore, Endpoint) {
    let store = try await makeStore(kind)
    let endpoint = makeEndpoint("a")
    try await store.createEndpoint(endpoint)
    _ = try await store.submit(makeRequest("c1", endpoints: [endpoint]))
    return (store, endpoint)
}

let t0 = Date(timeIntervalSince1970: 1_800_000_000)
let lease = LeaseTerms(defaultTimeout: 10, margin: 5)

func makeEndpoint(_ name: String, concurrency: Int = 8, enabled: Bool = true) -> Endpoint {
    Endpoint(id: "ep_\(name)", name: name, role: .approver, url: "http://127.0.0.1:9/\(name)",
             secrets: [SigningSecret(secret: WebhookSecret.generate().description)], concurrency: concurrency,
             enabled: enabled, createdAt: t0, updatedAt: t0)
}

/// A request with one delivery per endpoint, due at `t0`.
func makeRequest(_ correlationId: String, endpoints: [Endpoint], deadline: Date = t0.addingTimeInterval(3600),
                 key: String? = nil, bodyHash: String = "h") -> NewRequest {
    let id = Identifier.make("req", at: t0)
    let request = RelayRequest(id: id, kind: .approval, correlationId: correlationId, approvalRequestId: nil, tool: "t",
                               state: .requested, payload: Data("{}".utf8), callbackURL: "http://cb", deadline: deadline,
                               createdAt: t0, updatedAt: t0)
    let messages = endpoints.map {
        Message(id: Identifier.make("msg", at: t0), requestId: id, endpointId: $0.id, endpointName: $0.name,
                purpose: .delivery, url: $0.url, body: Data("{}".utf8), state: .pending, attemptCount: 0, dueAt: t0,
                deadline: deadline, createdAt: t0, updatedAt: t0)
    }
    let idempotency = key.map { IdempotencyRecord(key: $0, bodyHash: bodyHash, responseStatus: 202, responseBody: Data("first".utf8)) }
    return NewRequest(request: request, messages: messages, idempotency: idempotency)
}

func attempt(for claimed: ClaimedMessage, at date: Date, outcome: AttemptOutcome = .retryable, status: Int? = 503) -> Attempt {
    Attempt(messageId: claimed.message.id, number: claimed.message.attemptCount + 1, startedAt: date, durationMs: 5,
            statusCode: status, error: outcome == .delivered ? nil : "HTTP 503", responseExcerpt: nil, outcome: outcome)
}

/// A planner with no control plane: forwards go only to a request's own callback URL.
let noForwards = ForwardPlanner(contracts: Contracts.forwards(callbackSigningSecret: nil, controlPlane: nil))

extension RelayStore {
    /// `complete` with the planner first, which reads better in these tests' multi-line calls.
    func complete(planner: ForwardPlanner, _ completion: AttemptCompletion) async throws -> Bool {
        try await complete(completion, planner: planner)
    }
}
