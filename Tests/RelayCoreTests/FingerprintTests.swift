import Foundation
import RelayCore
import Testing

@Suite struct FingerprintTests {
    @Test func sha256HexMatchesTheStandardVectors() {
        #expect(Fingerprint.sha256Hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Fingerprint.sha256Hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Fingerprint.hex([0x00, 0x0f, 0xf0, 0xff]) == "000ff0ff")
    }
}
