import SpiglassCapture
import Testing

@testable import SpiglassAnalysis

/// The HTML report's escaping and builder: what comes from outside never becomes markup.
@Suite struct HTMLBuilderTests {
    @Test func escapesEveryCharacterThatEndsTextOrAnAttribute() {
        #expect(HTMLEscape.escaped("<script>alert('x')</script>") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
        #expect(HTMLEscape.escaped("\"a\" & ]]></svg>") == "&quot;a&quot; &amp; ]]&gt;&lt;/svg&gt;")
        #expect(HTMLEscape.escaped("&lt;") == "&amp;lt;")
        #expect(HTMLEscape.escaped("plain text ü ✓") == "plain text ü ✓")
    }

    @Test func showsControlsAndBidiOverridesAsVisibleEscapes() {
        #expect(HTMLEscape.escaped("a\u{1b}]0;x\u{07}b") == "a\\x1b]0;x\\x07b")
        #expect(HTMLEscape.escaped("\u{202e}txt") == "\\u{202e}txt")
        #expect(HTMLEscape.escaped("\u{0}") == "\\x00")
        #expect(HTMLEscape.escaped("line\nnext\tcol") == "line\nnext\tcol")
    }

    @Test func builderEscapesTextAndAttributesByConstruction() {
        var html = HTMLBuilder()
        html.element("p", [HTMLAttribute("title", "\"><script>x</script>")]) { p in
            p.text("</p><b>")
            p.element("a", [HTMLAttribute("href", "#a'b")], text: "1 < 2")
        }
        html.empty("line", [HTMLAttribute("x1", 1.005), HTMLAttribute("y1", -2.5), HTMLAttribute("x2", 3)])
        #expect(
            html.markup
                == "<p title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">&lt;/p&gt;&lt;b&gt;<a href=\"#a&#39;b\">1 &lt; 2</a></p>"
                + "<line x1=\"1\" y1=\"-2.5\" x2=\"3\"/>")
    }

    @Test func numbersAreFiniteWithTwoDecimals() {
        #expect(HTMLAttribute.number(12.345) == "12.35")
        #expect(HTMLAttribute.number(-0.04) == "-0.04")
        #expect(HTMLAttribute.number(7) == "7")
        #expect(HTMLAttribute.number(.nan) == "0")
        #expect(HTMLAttribute.number(.infinity) == "0")
        #expect(HTMLAttribute.number(1e300) == "0")
    }

    /// RFC 4648 section 10's vectors, and the SHA-256 hash source of the empty string.
    @Test func policyHashSources() {
        let vectors = [
            "": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=",
            "foobar": "Zm9vYmFy",
        ]
        for (plain, encoded) in vectors { #expect(ContentSecurityPolicy.base64(Array(plain.utf8)) == encoded) }
        #expect(ContentSecurityPolicy.source("") == "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='")
        let policy = ContentSecurityPolicy.policy(style: "a", script: "b")
        #expect(policy.hasPrefix("default-src 'none'; "))
        #expect(!policy.contains("unsafe"))
    }

    /// The buckets double their width as the flow goes on, never grow in number, and keep
    /// every packet.
    @Test func rateHistogramStaysBounded() {
        var histogram = SARateHistogram(start: Timestamp(seconds: 1, microseconds: 0), resolution: .microseconds)
        for second in 0..<3600 {
            histogram.add(
                at: Timestamp(seconds: 1 + Int64(second), microseconds: 0), bytes: 100, failed: second == 1800,
                replay: nil, skipped: 0)
        }
        #expect(histogram.buckets.count == SARateHistogram.bucketCount)
        #expect(histogram.buckets.reduce(0) { $0 + Int($1.packets) } == 3600)
        #expect(histogram.buckets.reduce(0) { $0 + Int($1.failures) } == 1)
        #expect(histogram.width >= 3_600_000_000 / Int64(SARateHistogram.bucketCount))
        #expect(histogram.width < 2 * 3_600_000_000 / Int64(SARateHistogram.bucketCount))
        // A time before the start (a clock that went back) and one at the far end of time.
        histogram.add(
            at: Timestamp(seconds: 0, microseconds: 0), bytes: 1, failed: false, replay: .duplicate, skipped: 0)
        histogram.add(
            at: Timestamp(seconds: .max, nanoseconds: 999_999_999), bytes: 1, failed: false, replay: nil, skipped: 0)
        #expect(histogram.buckets[0].replays == 1)
        #expect(histogram.buckets.reduce(0) { $0 + Int($1.packets) } == 3602)
    }
}
