import Crypto
import Foundation

/// Comparisons whose running time does not depend on where the inputs differ.
public enum ConstantTime {
    /// True when `a` equals `b`. Both are hashed first, so neither content nor length leaks through timing.
    public static func equals(_ a: String, _ b: String) -> Bool {
        bytesEqual(SHA256.hash(data: Data(a.utf8)), SHA256.hash(data: Data(b.utf8)))
    }

    /// Reads every byte of both (equal-length) inputs, whatever it finds: no early exit on a difference.
    public static func bytesEqual<Left: Sequence<UInt8>, Right: Sequence<UInt8>>(_ left: Left, _ right: Right) -> Bool {
        var difference: UInt8 = 0
        var leftBytes = left.makeIterator()
        var rightBytes = right.makeIterator()
        while true {
            switch (leftBytes.next(), rightBytes.next()) {
            case let (x?, y?): difference |= x ^ y
            case (nil, nil): return difference == 0
            default: difference |= 1  // lengths differ; keep reading the longer one
            }
        }
    }
}
