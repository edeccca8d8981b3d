import Crypto
import Foundation
import RelayCore

/// kodex's interaction-hub, through integration-gateway's `POST /v1/external-callbacks/{callback_source}` (SPEC §13;
/// codex-k8s/kodex `specs/openapi/integration-gateway.v1.yaml` at a3a22a0, `ExternalChannelCallbackRequest`): a
/// decision is a channel callback naming the interaction request (`request_ref`, the submit's `control_plane_ref`),
/// HMAC-signed over its raw body, with a callback id that is the same on every retry, so interaction-hub records it
/// once. The README cites the source file and commit of each field.
public struct KodexForwards: ForwardContract {
    public var settings: ControlPlaneSettings
    public init(settings: ControlPlaneSettings) { self.settings = settings }

    public var sink: ForwardSink { ForwardSink(rawValue: "kodex") }
    public var requirement: String { "send control_plane_ref (the kodex interaction request id) for the configured kodex control plane" }
    public func receives(_ target: ForwardTarget) -> Bool { target.controlPlaneRef != nil }

    /// interaction-hub parses `request_ref` as a UUID and answers anything else 400 (`service.go` at f8311af): a
    /// forward that could never be accepted is refused at submit instead.
    public func refusal(of target: ForwardTarget) -> (field: String, message: String)? {
        guard let reference = target.controlPlaneRef, UUID(uuidString: reference) == nil else { return nil }
        return ("control_plane_ref", "control_plane_ref must be the kodex interaction request id, a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e")
    }

    public func forward(of request: RelayRequest, _ decision: NormalizedDecision, at now: Date, messageId: String) -> Forward? {
        guard let action = KodexActions.action(for: decision.decision, kind: request.kind) else { return nil }
        var body: [String: JSONValue] = [
            "contract_version": .string(KodexActions.contractVersion),
            "callback_id": .string(Self.callbackId(messageId)),
            "request_ref": .optional(request.controlPlaneRef),
            "actor_ref": .string(KodexActions.actorRef(decision.actor)),
            "action": .string(action),
            "correlation_id": .string(request.correlationId),
        ]
        if let summary = KodexActions.summary(decision, action: action) { body["answer_summary"] = .string(summary) }
        let base = settings.url.hasSuffix("/") ? String(settings.url.dropLast()) : settings.url
        return Forward(name: "control-plane", url: "\(base)/v1/external-callbacks/\(settings.callbackSource)", body: .object(body))
    }

    /// The delivery header equals the body's `callback_id` (the gateway refuses a mismatch), and the gateway's request id
    /// is the same value on every attempt: interaction-hub compares it when it replays a callback id, so a fresh one per
    /// retry would turn a retry after a lost 202 into a 400 (`handlers.go`, `service.go` at a3a22a0 / f8311af).
    public func headers(for message: Message) -> [String: String] {
        let id = Self.callbackId(message.id)
        var headers = ["X-Kodex-External-Delivery": id, "X-Kodex-Request-Id": id]
        if let secret = settings.rawSecret {
            let mac = HMAC<SHA256>.authenticationCode(for: message.body, using: SymmetricKey(data: Data(secret.utf8)))
            headers["X-Kodex-External-Signature"] = "sha256=" + Fingerprint.hex(mac)
        }
        return headers
    }

    public var signingSecrets: [WebhookSecret] { [] }

    /// SPEC §13: an error body that says `"retryable": true` is retried whatever its status; 429 and 503 already are
    /// (honouring `Retry-After`), and 400, 401 and 413 are permanent by the answer table.
    public func classify(_ answer: DeliveryAnswer, table verdict: AnswerClass, now: Date) -> AnswerClass {
        guard case .permanent(let reason, let disables) = verdict, !disables, case .response(_, let retryAfter, let body) = answer,
              JSONValue.parse(body)?["retryable"] == .bool(true) else { return verdict }
        return .retryable(reason: "\(reason), which kodex says is retryable", retryAfter: retryAfter.flatMap { RetryAfter.seconds(from: $0, now: now) })
    }

    /// The forward's message id in hex: stable across retries, within the gateway's 128 characters, and made only of
    /// characters that cannot spell a word interaction-hub refuses in an id (`pwd`, `secret`, …: its unsafe-text check).
    static func callbackId(_ messageId: String) -> String {
        "webhook-relay-" + Fingerprint.hex(Array(messageId.utf8))
    }
}

/// The one table of SPEC §13: which interaction-hub action each decision is (`InteractionResponseAction`,
/// `proto/kodex/interactions/v1/interaction_hub.proto` at f8311af; meanings in
/// `docs/domains/interaction-hub/architecture/api_contract.md` at e49bd5a). kodex has no action for an expiry, a
/// failure or a cancel — it expires its own requests at their deadline and cancels them by an owner command — so
/// those are not forwarded to it (a request's own callback URL still gets them).
public enum KodexActions {
    public static let contractVersion = "interaction.channel.v1"

    public static func action(for decision: Decision, kind: RequestKind) -> String? {
        switch decision {
        case .approved: "approve"
        case .denied: "reject"
        // An executor's result is an answer; an approval applied is an approval.
        case .applied: kind == .execution ? "answer" : "approve"
        case .expired, .failed, .cancelled: nil
        }
    }

    /// `actor_ref`: who decided, as the relay knows it (an endpoint, a quorum, a control plane's actor), never blank:
    /// interaction-hub records a callback without one as rejected.
    static func actorRef(_ actor: String?) -> String {
        String("webhook-relay:\(actor ?? "relay")".prefix(256))
    }

    /// `answer_summary`: the reason, or an executor's result as text (`answer` needs one), at most 2,000 characters, with
    /// what interaction-hub's safety check refuses outright (`bearer `, `token=`, …) blotted out.
    static func summary(_ decision: NormalizedDecision, action: String) -> String? {
        let text = action == "answer" ? decision.result.map(DecisionNormalization.text) ?? decision.reason ?? "applied" : decision.reason
        guard var summary = text, !summary.isEmpty else { return nil }
        for unsafe in ["authorization:", "bearer ", "token=", "secret=", "password=", "raw_payload"] {
            while let range = summary.range(of: unsafe, options: .caseInsensitive) { summary.replaceSubrange(range, with: "[redacted]") }
        }
        return String(summary.prefix(2000))
    }
}
