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

    private static func commonPrefix(_ a: String, _ b: String) -> Int {
        zip(a.utf8, b.utf8).prefix { $0 == $1 }.count
    }
}
