import Foundation

/// A W3C trace context as it travels (`traceparent`, `tracestate`), kept with a request and its messages so that
/// every later step — a delivery attempt, a callback hours later, a forward — joins the submit's trace (SPEC §14).
/// Only a well-formed `traceparent` is kept (a malformed one starts a new trace, never a refusal), and a malformed
/// `tracestate` is dropped alone, as the W3C recommendation says.
public struct TraceHeaders: Sendable, Equatable {
    /// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`.
    public let traceparent: String
    public let tracestate: String?

    public init?(traceparent: String?, tracestate: String? = nil) {
        guard let traceparent, Self.isValid(traceparent) else { return nil }
        self.traceparent = traceparent
        self.tracestate = tracestate.flatMap { Self.isValidState($0) ? $0 : nil }
    }

    /// The trace id, as logs carry it.
    public var traceID: String { String(traceparent.dropFirst(3).prefix(32)) }

    /// Version 00 exactly (a later version's parent is re-parsed by its own rules; this relay knows 00), lowercase hex,
    /// and neither id all zeros.
    static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 55, parts.count == 4, parts[0] == "00" else { return false }
        let hex = { (part: Substring, count: Int) in part.count == count && part.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) } }
        guard hex(parts[1], 32), hex(parts[2], 16), hex(parts[3], 2) else { return false }
        return parts[1].contains { $0 != "0" } && parts[2].contains { $0 != "0" }
    }

    /// At most 512 bytes of visible ASCII list members (`key=value`, comma-separated), as W3C bounds it.
    static func isValidState(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 512 && text.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) }
            && text.split(separator: ",").allSatisfy { $0.contains("=") }
    }
}
