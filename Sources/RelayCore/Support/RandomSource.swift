import Crypto
import Foundation

/// Randomness, injected so tests can pin jitter; secrets and tokens always use the system CSPRNG.
public protocol RandomSource: Sendable {
    /// A uniformly distributed value in `0..<1`.
    func unit() -> Double
}

/// The system's random number generator.
public struct SystemRandom: RandomSource {
    public init() {}
    public func unit() -> Double { Double.random(in: 0..<1) }
}

/// A fixed value, for tests that need a known point inside a jitter range.
public struct FixedRandom: RandomSource {
    public let value: Double
    public init(_ value: Double) { self.value = value }
    public func unit() -> Double { value }
}

/// Cryptographically secure random bytes (swift-crypto's system generator).
public enum SecureBytes {
    /// `count` random bytes from the system CSPRNG.
    public static func generate(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
