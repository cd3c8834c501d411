import Testing

@testable import SpiglassAnalysis

/// Shortened IKE SPIs stay unique: SPIs sharing a long prefix keep one digit more than they
/// share, never fewer than 8, and an SPI only a last digit tells apart stays whole.
struct IKESPIAbbreviationTests {
    @Test func prefixesAreTheShortestUniqueOnes() {
        let spis: [UInt64] = [
            0x0bc5_c74e_b20d_3567, 0x0bc5_c74e_b2ff_0000, 0x1234_5678_9abc_def0, 0, 0x1234_5678_9abc_def1,
        ]
        let shortened = IKESPIAbbreviation(spis + spis)
        #expect(shortened.text(0x0bc5_c74e_b20d_3567) == "0bc5c74eb20…")
        #expect(shortened.text(0x0bc5_c74e_b2ff_0000) == "0bc5c74eb2f…")
        #expect(shortened.text(0) == "00000000…")
        #expect(shortened.text(0x1234_5678_9abc_def0) == "123456789abcdef0")
        #expect(shortened.text(0x1234_5678_9abc_def1) == "123456789abcdef1")
        // An SPI the run did not have, and a run without any, show whole.
        #expect(shortened.text(0xffff_0000_ffff_0000) == "ffff0000ffff0000")
        #expect(IKESPIAbbreviation.none.text(0x0bc5_c74e_b20d_3567) == "0bc5c74eb20d3567")
    }
}
