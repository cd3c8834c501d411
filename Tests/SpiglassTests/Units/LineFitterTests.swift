import Testing

@testable import SpiglassAnalysis

/// `LineFitter`: the output stage that fits report lines to a terminal.
struct LineFitterTests {
    /// Columns of a fitted row as a terminal shows it: SGR sequences take none.
    static func columns(_ row: Substring) -> Int {
        var count = 0
        var inEscape = false
        for scalar in row.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
            } else if scalar == "\u{1B}" {
                inEscape = true
            } else {
                count += LineFitter.columns(scalar)
            }
        }
        return count
    }

    static let ladder =
        "    1 0.000000 10.99.0.1 → 10.99.0.2 IKEv2 500→500 IKE_SA_INIT request mid=0 ispi=d7a49cfd15f3cf40 rspi=0000000000000000 (clear): SA KE Nonce N(NAT_DETECTION_SOURCE_IP) N(NAT_DETECTION_DESTINATION_IP)"

    @Test(arguments: [40, 57, 80, 120, 200])
    func rowsNeverPassTheWidthAndKeepEveryWord(width: Int) {
        let fitted = LineFitter.fit(Self.ladder[...], width: width, color: false)
        let rows = fitted.split(separator: "\n")
        for row in rows { #expect(Self.columns(row) <= width, "\(row)") }
        #expect(fitted.split(whereSeparator: { $0 == " " || $0 == "\n" }) == Self.ladder.split(separator: " "))
        #expect((rows.count == 1) == (Self.ladder.count <= width))
    }

    @Test func continuationRowsHangAtTheMark() {
        let line =
            "   12 0.500000" + String(TextMarks.hang) + " " + Array(repeating: "word", count: 30).joined(separator: " ")
        let rows = LineFitter.fit(line[...], width: 40, color: false).split(separator: "\n")
        #expect(rows.count > 2)
        for row in rows.dropFirst() {
            #expect(row.hasPrefix(String(repeating: " ", count: 14) + "word"))
        }
    }

    @Test func withoutAMarkContinuationIsTwoPastTheLinesIndent() {
        let line = "  finding: " + Array(repeating: "lost", count: 30).joined(separator: " ")
        let rows = LineFitter.fit(line[...], width: 40, color: false).split(separator: "\n")
        #expect(rows.dropFirst().allSatisfy { $0.hasPrefix("    lost") })
    }

    @Test func aWordLongerThanARowIsCut() {
        let hex = String(repeating: "ab", count: 60)
        let rows = LineFitter.fit(("key " + hex)[...], width: 40, color: false).split(separator: "\n")
        #expect(rows.allSatisfy { $0.count <= 40 })
        #expect(rows.joined().filter { $0 != " " } == "key" + hex)
    }

    @Test func aLineThatFitsIsUnchangedAndNoWidthMeansNoWrapping() {
        #expect(LineFitter.fit("short line"[...], width: 80, color: false) == "short line")
        #expect(LineFitter.fit(Self.ladder[...], width: nil, color: false) == Self.ladder)
    }

    @Test func marksBecomeSGROnlyWithColourAndTakeNoColumns() {
        let display = TextDisplay(width: 20, color: true)
        let line = "verdict " + display.paint("icv-failed", .failure) + " and " + display.paint("decrypted", .good)
        let coloured = LineFitter.fit(line[...], width: 20, color: true)
        #expect(coloured.contains("\u{1B}[1;31micv-failed\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[32mdecrypted\u{1B}[0m"))
        for row in coloured.split(separator: "\n") { #expect(Self.columns(row) <= 20) }
        let plain = LineFitter.fit(line[...], width: nil, color: false)
        #expect(plain == "verdict icv-failed and decrypted")
    }

    @Test func aStyleCrossingARowEndsAndResumesOnEachRow() {
        let display = TextDisplay(width: 40, color: true)
        let line = display.paint(Array(repeating: "failed", count: 12).joined(separator: " "), .failure)
        let rows = LineFitter.fit(line[...], width: 40, color: true).split(separator: "\n")
        #expect(rows.count > 1)
        for row in rows {
            #expect(row.hasPrefix("\u{1B}[1;31m") || row.drop { $0 == " " }.hasPrefix("\u{1B}[1;31m"))
            #expect(row.hasSuffix("\u{1B}[0m"))
        }
    }

    /// Text that reached a report without `DisplayText` still cannot drive the terminal: every
    /// control but our marks is shown escaped, with colour on or off.
    @Test(arguments: [false, true])
    func controlsAreShownEscaped(color: Bool) {
        let hostile = "id \u{1B}]0;pwned\u{07} \u{1B}[2J \u{9B}31m \u{0E}z \u{0E}"
        let fitted = LineFitter.fit(hostile[...], width: 80, color: color)
        #expect(!fitted.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) })
        #expect(fitted == "id \\x1b]0;pwned\\x07 \\x1b[2J \\u{9b}31m \\x0ez \\x0e")
    }

    @Test func wideCharactersTakeTwoColumnsAndCombiningMarksNone() {
        #expect(LineFitter.columns("漢") == 2)
        #expect(LineFitter.columns("\u{301}") == 0)
        let line = String(repeating: "漢字 ", count: 30) + "e\u{301}"
        for row in LineFitter.fit(line[...], width: 41, color: false).split(separator: "\n") {
            #expect(Self.columns(row) <= 41)
        }
    }

    @Test func theSinkFitsLinesSplitAcrossWrites() {
        let base = StringSink()
        let sink = TerminalSink(base, display: TextDisplay(width: 40, color: false))
        let words = Array(repeating: "spi=0xc19c5d01", count: 8).joined(separator: " ")
        let bytes = Array((words + "\nnext\n").utf8)
        sink.write(bytes: bytes[0..<7])
        sink.write(bytes: bytes[7...])
        #expect(base.lines.allSatisfy { $0.count <= 40 })
        #expect(base.lines.last == "next")
        #expect(base.text.split(whereSeparator: { $0 == " " || $0 == "\n" }).count == 9)
    }
}
