import Crypto
import Foundation
import HTTPTypes
import RelayCore
import Synchronization

/// Behaves like kodex's integration-gateway in front of interaction-hub (codex-k8s/kodex at 9cca0f4:
/// `specs/openapi/integration-gateway.v1.yaml`, `services/external/integration-gateway/internal/transport/http/handlers.go`,
/// `verifier.go`): `POST /v1/external-callbacks/{callback_source}` with an allowed source; the body's fields exactly
/// (unknown ones refused), a UUID `request_ref`; `X-Kodex-External-Signature: sha256=<hex HMAC of the raw body>` (401
/// otherwise); `X-Kodex-External-Delivery` equal to `callback_id` (400 otherwise); a repeat of a callback id with the same
/// body answered `duplicate_accepted`, with another body 400; and, while told to, backpressure: 503 with `Retry-After`
/// and `"retryable": true`.
final class KodexStandIn: Sendable {
    let secret: String
    let allowedSource: String
    private struct State {
        var accepted: [String: Data] = [:]
        var backpressure = 0
        var answered: [(callbackId: String, status: Int)] = []
    }
    private let state = Mutex(State())

    init(secret: String, allowedSource: String = "webhook-relay") {
        self.secret = secret
        self.allowedSource = allowedSource
    }

    static let fields: Set<String> = ["contract_version", "callback_id", "delivery_id", "request_ref", "actor_ref", "action",
                                      "answer_summary", "answer_object", "correlation_id"]

    /// The next `count` callbacks meet backpressure.
    func pushBack(_ count: Int) { state.withLock { $0.backpressure = count } }

    /// Callbacks recorded, by callback id, as their bodies.
    var accepted: [String: JSONValue] { state.withLock { $0.accepted.compactMapValues(JSONValue.parse) } }
    var answered: [(callbackId: String, status: Int)] { state.withLock { $0.answered } }

    func answer(_ request: ReceivedRequest) -> CannedAnswer {
        let (status, answer) = decide(request)
        let id = JSONValue.parse(request.body)?["callback_id"]?.stringValue ?? "?"
        state.withLock { $0.answered.append((id, status.code)) }
        return answer
    }

    private func decide(_ request: ReceivedRequest) -> (HTTPResponse.Status, CannedAnswer) {
        func error(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryable: Bool = false,
                   headers: HTTPFields = [:]) -> (HTTPResponse.Status, CannedAnswer) {
            (status, CannedAnswer(status: status, headers: headers, body: JSONValue.object([
                "request_id": "gw-1", "correlation_id": "gw-1", "code": .string(code), "message": .string(message), "retryable": .bool(retryable),
            ]).encoded().string))
        }
        guard request.path == "/v1/external-callbacks/\(allowedSource)" else { return error(.badRequest, "source_not_allowed", "source is not allowed") }
        let mac = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Data(secret.utf8)))
        guard request.header("X-Kodex-External-Signature") == "sha256=" + Fingerprint.hex(mac) else {
            return error(.unauthorized, "signature_invalid", "signature is invalid")
        }
        guard let object = JSONValue.parse(request.body)?.objectValue, Set(object.keys).isSubset(of: Self.fields),
              let callbackId = object["callback_id"]?.stringValue, !callbackId.isEmpty,
              object["contract_version"]?.stringValue?.isEmpty == false, object["action"]?.stringValue?.isEmpty == false,
              let reference = object["request_ref"]?.stringValue, UUID(uuidString: reference) != nil,
              object.values.allSatisfy({ $0 != .null }) else {
            return error(.badRequest, "invalid_request", "request body does not match the contract")
        }
        guard request.header("X-Kodex-External-Delivery") == callbackId else {
            return error(.badRequest, "invalid_request", "delivery header does not match callback_id")
        }
        return state.withLock { state in
            if state.backpressure > 0 {
                state.backpressure -= 1
                return error(.serviceUnavailable, "backpressure", "too many callbacks in flight", retryable: true, headers: [.retryAfter: "1"])
            }
            if let earlier = state.accepted[callbackId] {
                guard earlier == request.body else { return error(.badRequest, "invalid_request", "callback_id reused with another payload") }
                return (.accepted, Self.accepted(callbackId, reference, status: "duplicate_accepted"))
            }
            state.accepted[callbackId] = request.body
            return (.accepted, Self.accepted(callbackId, reference, status: "accepted"))
        }
    }

    static func accepted(_ callbackId: String, _ reference: String, status: String) -> CannedAnswer {
        CannedAnswer(status: .accepted, body: JSONValue.object([
            "request_id": "gw-1", "correlation_id": "gw-1", "callback_source": "webhook-relay", "callback_id": .string(callbackId),
            "request_ref": .string(reference), "owner_service": "interaction-hub", "status": .string(status),
        ]).encoded().string)
    }
}

extension Data {
    var string: String { String(decoding: self, as: UTF8.self) }
}
