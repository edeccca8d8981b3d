import Foundation

/// SPEC §16: yaml-mcp-server registers a request before it sends it and drops it when its own wait ends
/// (`internal/approver/http/http.go`, `Client.Approve`: `Pending.Register`, then `defer Pending.Cancel`), and
/// its webhook handler (`internal/approver/http/async.go`, `WebhookHandler.ServeHTTP`) answers a bare 404 for
/// an id it no longer waits for. It sends `timeout_sec` equal to its own wait and starts its clock first, so
/// the relay's expiry forward routinely meets that 404. Nothing is lost there and retrying cannot help: the
/// forward is `abandoned`, final and visible, and not a dead letter an alert would fire on.
public enum ForwardAbandonment {
    public static func applies(purpose: MessagePurpose, sink: ForwardSink?, answer: DeliveryAnswer) -> Bool {
        guard purpose == .forward, (sink ?? .callback) == .callback, case .response(404, _, _) = answer else { return false }
        return true
    }
}
