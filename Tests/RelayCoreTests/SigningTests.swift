import Crypto
import Foundation
import RelayCore
import Testing

@Suite struct SigningTests {
    /// The test vector published with the Standard Webhooks reference libraries.
    @Test func matchesTheStandardWebhooksVector() throws {
        let secret = try #require(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = WebhookSigner.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
            body: Data(#"{"test": 2432232314}"#.utf8), secrets: [secret]
        )
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func rotationSignsWithEverySecretSpaceSeparated() throws {
        let old = WebhookSecret.generate()
        let new = WebhookSecret.generate()
        let body = Data("{}".utf8)
        let signature = WebhookSigner.signature(id: "msg_1", timestamp: 10, body: body, secrets: [new, old])
        let parts = signature.split(separator: " ").map(String.init)
        #expect(parts.count == 2)
        #expect(parts[0] == WebhookSigner.signature(id: "msg_1", timestamp: 10, body: body, secrets: [new]))
        #expect(parts[1] == WebhookSigner.signature(id: "msg_1", timestamp: 10, body: body, secrets: [old]))
    }

    @Test func generatedSecretsRoundTripAndHold32Bytes() throws {
        let secret = WebhookSecret.generate()
        #expect(secret.description.hasPrefix("whsec_"))
        #expect(secret.key.count == 32)
        #expect(WebhookSecret(secret.description) == secret)
        #expect(WebhookSecret.generate() != secret)
    }

    @Test(arguments: ["", "whsec_", "whsec_!!!", "sk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_" + Data(count: 16).base64EncodedString(),
                      "whsec_" + Data(count: 65).base64EncodedString()])
    func malformedSecretsAreRefused(text: String) {
        #expect(WebhookSecret(text) == nil)
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals("token-a", "token-a"))
        #expect(!ConstantTime.equals("token-a", "token-b"))
        #expect(!ConstantTime.equals("token", "token-a"))
        #expect(!ConstantTime.equals("", "x"))
    }

    /// The comparison behind every token check reads all 32 bytes of both digests whether they differ at
    /// the first byte, the last, or nowhere: its work does not depend on where a guess goes wrong.
    @Test func tokenComparisonReadsEveryByteWhereverTheyDiffer() {
        let secret = [UInt8](repeating: 7, count: 32)
        for differingAt in [nil, 0, 15, 31] as [Int?] {
            var guess = secret
            if let differingAt { guess[differingAt] ^= 0xFF }
            let left = CountingBytes(secret), right = CountingBytes(guess)
            #expect(ConstantTime.bytesEqual(left, right) == (differingAt == nil))
            #expect(left.reads.value == 32 && right.reads.value == 32, "differing at \(String(describing: differingAt))")
        }
        #expect(!ConstantTime.bytesEqual([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
    }

    @Test func capabilityTokensAreLongAndStoredAsHashes() {
        let token = CapabilityToken.generate()
        #expect(token.count >= 43)
        #expect(CapabilityToken.hash(token).count == 64)
        #expect(CapabilityToken.hash(token) != token)
        #expect(CapabilityToken.generate() != token)
    }
}

/// A byte sequence that counts how many of its bytes were read.
private struct CountingBytes: Sequence {
    final class Counter: @unchecked Sendable { var value = 0 }
    let bytes: [UInt8]
    let reads = Counter()
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func makeIterator() -> AnyIterator<UInt8> {
        var inner = bytes.makeIterator()
        let reads = self.reads
        return AnyIterator {
            let next = inner.next()
            if next != nil { reads.value += 1 }
            return next
        }
    }
}
