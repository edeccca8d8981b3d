import Foundation

/// Where a dead-letter page ends; every store pages by dead_at, then id.
public struct DeadLetterCursor: Sendable {
    public var deadAt: Double
    public var id: String

    public init(deadAt: Double, id: String) {
        self.deadAt = deadAt
        self.id = id
    }

    /// `<dead_at unix seconds>|<message id>`: plain, so that openapi.yaml can state its exact form. Swift
    /// prints a Double in its shortest round-trip form, so the position is exact.
    public init?(_ text: String) {
        guard let bar = text.firstIndex(of: "|"), let deadAt = Double(text[..<bar]), deadAt.isFinite,
              text[..<bar].allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else { return nil }
        self.deadAt = deadAt
        self.id = String(text[text.index(after: bar)...])
    }

    public var encoded: String {
        "\(deadAt)|\(id)"
    }
}
