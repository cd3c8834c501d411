import SpiglassWire

/// The Security Association Database: every SA from every key file, looked up by the
/// packet's SPI and addresses.
public struct SADatabase: Sendable {
    public enum MatchKind: String, Sendable {
        /// SPI and both address patterns matched.
        case addresses
        /// Only the SPI matched; the entry's addresses differ (NAT, or a user who wrote
        /// one key per SPI and the wrong address).
        case spiOnly = "spi-only"
    }

    public private(set) var entries: [SecurityAssociation] = []
    private var bySPI: [SPI: [Int]] = [:]
    private var anySPI: [Int] = []

    public init() {}

    public init(_ entries: [SecurityAssociation]) {
        for sa in entries { add(sa) }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    public mutating func add(_ sa: SecurityAssociation) {
        let index = entries.count
        entries.append(sa)
        if let spi = sa.spi {
            bySPI[spi, default: []].append(index)
        } else {
            anySPI.append(index)
        }
    }

    /// The first entry, in file order, whose SPI and address patterns match; failing that,
    /// the first entry with this exact SPI whatever its addresses.
    public func lookup(spi: SPI, source: IPAddress, destination: IPAddress) -> (index: Int, match: MatchKind)? {
        let exact = bySPI[spi] ?? []
        var i = 0
        var j = 0
        // Merge the two index lists so that file order decides, as in Wireshark's table.
        while i < exact.count || j < anySPI.count {
            let index: Int
            if j >= anySPI.count || (i < exact.count && exact[i] < anySPI[j]) {
                index = exact[i]
                i += 1
            } else {
                index = anySPI[j]
                j += 1
            }
            let sa = entries[index]
            if sa.destination.matches(destination) && sa.source.matches(source) {
                return (index, .addresses)
            }
        }
        if let first = exact.first { return (first, .spiOnly) }
        return nil
    }
}
