import SpiglassWire
import Testing

@Suite struct IPAddressTests {
    @Test func ipAddressParsingAndFormatting() {
        #expect(IPAddress("192.0.2.1")?.description == "192.0.2.1")
        #expect(IPAddress("2001:db8::1")?.description == "2001:db8::1")
        #expect(IPAddress("2001:0db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("::")?.description == "::")
        #expect(IPAddress("::ffff:192.0.2.1")?.description == "::ffff:c000:201")
        #expect(IPAddress("fe80::1:2:3:4:5")?.description == "fe80::1:2:3:4:5")
        for bad in ["256.1.1.1", "1.2.3", "1.2.3.4.5", "1::2::3", "12345::", "g::1", "", "1.2.3.-4", ":::"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
        #expect(IPAddress("10.1.2.3")!.hasPrefix(IPAddress("10.0.0.0")!, bits: 8))
        #expect(!IPAddress("11.1.2.3")!.hasPrefix(IPAddress("10.0.0.0")!, bits: 8))
        #expect(IPAddress("2001:db8::5")!.hasPrefix(IPAddress("2001:db8::")!, bits: 64))
    }
}
