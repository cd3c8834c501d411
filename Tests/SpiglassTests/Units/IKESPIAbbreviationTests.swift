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

/// Message lines show a fixed prefix (they are written before the run's SPIs are all known);
/// the prefixes two SPIs share are found for the note at the end.
struct IKESPIFixedPrefixTests {
    @Test func messageLinesShowEightDigitsAndZeroAsZero() {
        #expect(IKESPIAbbreviation.prefix(0x0bc5_c74e_b20d_3567) == "0bc5c74e…")
        #expect(IKESPIAbbreviation.prefix(0x0000_0000_0000_0001) == "00000000…")
        #expect(IKESPIAbbreviation.prefix(0) == "0")
    }

    @Test func sharedPrefixesAreThoseOfTwoDistinctSPIs() {
        let spis: [UInt64] = [
            0x0bc5_c74e_b20d_3567, 0x0bc5_c74e_ffff_0000, 0x0bc5_c74e_b20d_3567, 0x1234_5678_9abc_def0, 0, 0,
            0xaaaa_aaaa_0000_0001, 0xaaaa_aaaa_0000_0002, 0xaaaa_aaab_0000_0000,
        ]
        #expect(IKESPIAbbreviation.sharedPrefixes(spis) == ["0bc5c74e…", "aaaaaaaa…"])
        // The same SPI twice, and SPIs not yet chosen, share nothing.
        #expect(IKESPIAbbreviation.sharedPrefixes([0x0bc5_c74e_b20d_3567, 0x0bc5_c74e_b20d_3567, 0, 0]).isEmpty)
    }
}
