import SpiglassWire
import Testing

@testable import SpiglassAnalysis

/// The one escaping function of the text outputs, and the JSON one.
@Suite struct DisplayTextTests {
    @Test func terminalControlsShowAsEscapes() {
        #expect(DisplayText.escaped("a\u{1b}]0;title\u{7}b") == #"a\x1b]0;title\x07b"#)
        #expect(DisplayText.escaped("\u{9b}31m\u{9d}0;t\u{9c}") == #"\u{9b}31m\u{9d}0;t\u{9c}"#)
        #expect(DisplayText.escaped("x\u{7f}\n\r\t") == #"x\x7f\n\r\t"#)
        #expect(DisplayText.escaped("back\\slash \"quoted\"") == #"back\\slash \"quoted\""#)
    }

    @Test func bidiSeparatorsAndInvisiblesShowAsEscapes() {
        for scalar: Unicode.Scalar in [
            "\u{202a}", "\u{202b}", "\u{202c}", "\u{202d}", "\u{202e}", "\u{2066}", "\u{2067}", "\u{2068}",
            "\u{2069}", "\u{200e}", "\u{200f}", "\u{61c}", "\u{85}", "\u{2028}", "\u{2029}", "\u{200b}",
            "\u{feff}", "\u{a0}", "\u{3000}", "\u{e000}", "\u{fffe}", "\u{10ffff}", "\u{e0001}",
        ] {
            #expect(DisplayText.needsEscape(scalar), "U+\(String(scalar.value, radix: 16))")
            #expect(DisplayText.escaped(String(scalar)) == "\\u{\(String(scalar.value, radix: 16))}")
        }
        // An unassigned code point (plane 3 holds few assigned ones, none here).
        #expect(DisplayText.needsEscape(Unicode.Scalar(0x3ffff)!))
    }

    @Test func printableTextStaysAsItIs() {
        for text in ["moon.strongswan.org", "Zürich", "日本語", "→ ⇄ …", "Ǿ", "café", "e\u{301}", "👍"] {
            #expect(DisplayText.escaped(text) == text)
        }
    }

    @Test func stackedCombiningMarksAreBounded() {
        let zalgo = "Z" + String(repeating: "\u{301}", count: 6) + "a"
        #expect(DisplayText.escaped(zalgo) == "Z" + String(repeating: "\u{301}", count: 4) + #"\u{301}\u{301}a"#)
    }

    @Test func bytesThatAreNotUTF8ShowAsHex() {
        #expect(
            DisplayText.escaped(bytes: [0x61, 0xc3, 0x28, 0xff, 0xe2, 0x80, 0xae, 0xed, 0xa0, 0x80])
                == #"a\xc3(\xff\u{202e}\xed\xa0\x80"#)
        // Overlong encodings are not UTF-8.
        #expect(DisplayText.escaped(bytes: [0xc0, 0xaf]) == #"\xc0\xaf"#)
        #expect(DisplayText.readable(Array("vpn.example".utf8)) == "vpn.example")
        #expect(DisplayText.readable(Array("vpn\u{1b}".utf8)) == #"vpn\x1b"#)
        #expect(DisplayText.readable([0x01, 0x02, 0x03, 0x41]) == nil)
        #expect(DisplayText.readable([0x41, 0xff]) == nil)
        #expect(DisplayText.readable([]) == nil)
    }

    @Test func clippingStatesTheFullLengthAndNeverCutsAnEscape() {
        #expect(DisplayText.clipped("short", limit: 10) == "short")
        #expect(DisplayText.clipped("abcdefghijkl", limit: 10) == "abcdefghij…[12 characters in all]")
        let escaped = DisplayText.escaped("abcdefgh\u{202e}xyz")
        #expect(DisplayText.clipped(escaped, limit: 10) == "abcdefgh…[19 characters in all]")
        #expect(DisplayText.clipped(#"abcdefg\x1bxyz"#, limit: 10) == "abcdefg…[14 characters in all]")
        #expect(DisplayText.clipped(#"abcdefgh\,xyz"#, limit: 10) == #"abcdefgh\,…[13 characters in all]"#)
    }

    @Test func jsonEscapesWhatBreaksLinesOrActsOnTerminals() {
        #expect(JSONObject.quote("a\u{85}b\u{2028}c\u{2029}d") == #""a\u0085b\u2028c\u2029d""#)
        #expect(JSONObject.quote("\u{9b}31m\u{7f}\u{202e}") == #""\u009b31m\u007f\u202e""#)
        #expect(JSONObject.quote("\u{1}\n\"\\") == #""\u0001\n\"\\""#)
        // Past U+FFFF: a surrogate pair.
        #expect(JSONObject.quote("\u{e0001}") == #""\udb40\udc01""#)
        #expect(JSONObject.quote("Zürich → 日本") == "\"Zürich → 日本\"")
    }
}
