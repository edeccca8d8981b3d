import RelayCore
import Testing

@Suite struct EgressPolicyTests {
    func refused(_ text: String, _ policy: EgressPolicy = EgressPolicy()) -> Bool {
        policy.refusal(for: IPAddress(text)!) != nil
    }

    @Test(arguments: ["169.254.169.254", "169.254.0.1", "fe80::1", "::ffff:169.254.169.254", "[fe80::abcd]"])
    func linkLocalAndMetadataAreAlwaysRefused(address: String) {
        #expect(refused(address))
        #expect(refused(address, EgressPolicy(mode: .strict, allow: [IPRange("0.0.0.0/0")!])))
    }

    @Test(arguments: ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "::1", "fd00::1", "100.64.0.1"])
    func privateRangesAreAllowedByDefaultAndRefusedWhenStrict(address: String) {
        #expect(!refused(address))
        #expect(refused(address, EgressPolicy(mode: .strict)))
    }

    @Test func strictAllowListOpensNamedRanges() {
        let policy = EgressPolicy(mode: .strict, allow: [IPRange("10.0.0.0/8")!, IPRange("127.0.0.1/32")!])
        #expect(!refused("10.9.9.9", policy) && !refused("127.0.0.1", policy))
        #expect(refused("127.0.0.2", policy) && refused("192.168.0.1", policy))
    }

    @Test func publicAddressesPassEvenWhenStrict() {
        #expect(!refused("93.184.216.34", EgressPolicy(mode: .strict)))
        #expect(!refused("2606:4700::1111", EgressPolicy(mode: .strict)))
    }

    @Test(arguments: ["", "10.0.0.0/33", "300.1.1.1", "fe80::/129", "not an address", "10.0.0.0/8/1"])
    func malformedRangesAreRejected(text: String) {
        #expect(IPRange(text) == nil)
    }
}
