import SpiglassIKE
import SpiglassWire

/// IKE SPIs as a narrow terminal shows them: each the shortest prefix of its 16 hex digits,
/// at least 8, that no other IKE SPI of the run starts with, then "…"; the whole SPI when no
/// shorter prefix is unique. `-V`, JSON and piped output keep every SPI whole.
struct IKESPIAbbreviation {
    /// The digits each SPI is shown with; SPIs that keep all 16 are left out.
    private var shortened: [UInt64: String] = [:]

    static let minimumDigits = 8

    /// Unique prefixes among `spis` (the run's, all known when the report ends).
    init(_ spis: some Sequence<UInt64>) {
        let sorted = Set(spis).sorted().map(\.ikeSPIHex)
        for (index, hex) in sorted.enumerated() {
            // In sorted order the longest prefix shared with any other SPI is shared with a
            // neighbour.
            var shared = 0
            if index > 0 { shared = max(shared, Self.commonPrefix(hex, sorted[index - 1])) }
            if index + 1 < sorted.count { shared = max(shared, Self.commonPrefix(hex, sorted[index + 1])) }
            let digits = max(Self.minimumDigits, shared + 1)
            if digits < hex.count, let spi = UInt64(hex, radix: 16) {
                shortened[spi] = String(hex.prefix(digits)) + "…"
            }
        }
    }

    /// No SPI shortened (a pipe, a file, `--wide`).
    static let none = IKESPIAbbreviation([])

    func text(_ spi: UInt64) -> String { shortened[spi] ?? spi.ikeSPIHex }

    /// "0123abcd…_i 89ab4567…_r", as `IKESPIPair.description` with shortened SPIs.
    func text(_ pair: IKESPIPair) -> String { text(pair.initiator) + "_i " + text(pair.responder) + "_r" }

    /// The fixed form of the IKE SPIs on a compact message line (`CompactIKELine`): its first
    /// `minimumDigits` hex digits then "…", or "0" for an SPI not chosen yet. Message lines are
    /// written as the capture is read, by several workers in a parallel run, before the run's
    /// SPIs are all known: a fixed prefix is what they can say; `sharedPrefixes` tells at the
    /// end whether one was ambiguous.
    static func prefix(_ spi: UInt64) -> String {
        spi == 0 ? "0" : String(spi.ikeSPIHex.prefix(minimumDigits)) + "…"
    }

    /// "d7a49cfd…/fb1a20fc…": the initiator's and the responder's SPI, as `prefix` shows them.
    static func prefix(_ pair: IKESPIPair) -> String { prefix(pair.initiator) + "/" + prefix(pair.responder) }

    /// The prefixes (as `prefix` shows them) that two or more of `spis` share, in order.
    static func sharedPrefixes(_ spis: some Sequence<UInt64>) -> [String] {
        let byPrefix = Dictionary(grouping: Set(spis).filter { $0 != 0 }, by: { prefix($0) })
        return byPrefix.filter { $0.value.count > 1 }.keys.sorted()
    }

    /// The line that says so when the compact message lines above showed a prefix two IKE
    /// SPIs of the run share; nil when none did.
    static func sharedPrefixNote(_ messages: [IKEMessageRecord]) -> String? {
        let shared = sharedPrefixes(messages.lazy.flatMap { [$0.header.initiatorSPI, $0.header.responderSPI] })
        guard !shared.isEmpty else { return nil }
        let list = IKEText.limited(shared, separator: ", ")
        // Only a terminal shortens IKE SPIs: the note is laid out for one, a row per fact.
        return "Note: IKE SPIs above show their first \(minimumDigits) hex digits\n"
            + "  shared: \(list) \(shared.count == 1 ? "stands" : "stand") for more than one IKE SPI of this capture\n"
            + "  whole: -V, --wide or piped output shows them\n"
    }

    private static func commonPrefix(_ a: String, _ b: String) -> Int {
        zip(a.utf8, b.utf8).prefix { $0 == $1 }.count
    }
}
