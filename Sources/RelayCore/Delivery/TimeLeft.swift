import Foundation

/// The `timeout_sec` of a delivered body (SPEC §16): the whole seconds left until the request's deadline
/// at the moment of each attempt, so an adapter that times from receipt closes its question no later
/// than the relay stops accepting the answer. The stored body holds a placeholder, stamped at send time.
public enum TimeLeft {
    /// What the stored body holds as `timeout_sec` (a JSON string, replaced with quotes and all).
    public static let placeholder = "{{webhook-relay:timeout-sec}}"
    private static let quotedPlaceholder = Data("\"\(placeholder)\"".utf8)

    /// Whole seconds from `now` to `deadline`, at least 1.
    public static func seconds(until deadline: Date, now: Date) -> Int {
        // The microsecond keeps a deadline exactly N s away (stored as seconds since 1970) from reading N − ε.
        max(1, Int((deadline.timeIntervalSince(now) + 0.000_001).rounded(.down)))
    }

    /// The body with its `timeout_sec` placeholder replaced by the seconds left; unchanged without one.
    public static func stamp(_ body: Data, deadline: Date, now: Date) -> Data {
        guard let range = body.range(of: quotedPlaceholder) else { return body }
        var stamped = body
        stamped.replaceSubrange(range, with: Data(String(seconds(until: deadline, now: now)).utf8))
        return stamped
    }
}
