import SpiglassSAD
import SpiglassWire

/// The comment a pcapng -w file gives each packet (its `opt_comment`, Wireshark's
/// `frame.comment`): the file and frame it came from, then each IPsec layer that was removed,
/// with its SPI, sequence number (and the ESN high half when it was inferred), verdict,
/// ICV, mode, algorithms and the SA it belongs to:
///
///     Spiglass: from v2-gcm.pcap frame 12; ESP SPI 0xc2ef4b23 seq 7 decrypted, ICV good,
///     tunnel, aes-gcm-16-256, CHILD_SA #1 of IKE SA #1
///
/// (one line). It is built into one buffer, reused for every packet. Names that come from
/// outside (file names, key-file labels) are escaped (`DisplayText`) and cut, once per name.
struct ProvenanceComment {
    private(set) var bytes: [UInt8] = []
    /// Each input's name as the comment shows it (escaped, cut), by `PacketRecord.source`.
    private var names: [[UInt8]] = []

    /// A name is cut to this many characters: the comment names the file, it is no place for
    /// a whole path an attacker may have made long.
    static let maxNameLength = 120

    /// The SA a layer belongs to, as the comment names it.
    struct Membership {
        var child: Int?
        var ikeSA: Int?
    }

    /// Builds the comment of `record`; `membership` says which CHILD_SA and IKE SA an ESP
    /// layer belongs to.
    mutating func build(
        _ record: PacketRecord, sad: SADatabase, ahSAD: SADatabase, membership: (ESPLayer) -> Membership
    ) {
        bytes.removeAll(keepingCapacity: true)
        add("Spiglass: from ")
        if record.source < names.count { bytes.append(contentsOf: names[record.source]) } else { add("capture") }
        add(" frame ")
        number(record.sourceFrame)
        if record.reassembledFrom != 0 { addFragments(record.fragmentFrames) }
        if let message = record.tcpMessage {
            add(" (RFC 8229 stream, message ")
            number(message)
            add(")")
        }
        for layer in record.ah { addAH(layer, sad: ahSAD) }
        for layer in record.esp { addESP(layer, sad: sad, membership: membership(layer)) }
    }

    private mutating func addAH(_ layer: AHLayer, sad: SADatabase) {
        add("; AH SPI ")
        spi(layer.header.spi)
        add(" seq ")
        number(layer.sequence)
        add(" ")
        add(layer.verdict.rawValue)
        if let index = layer.saIndex, index < sad.entries.count {
            add(", ")
            add(sad.entries[index].integrity.name)
            addLabel(sad.entries[index])
        }
    }

    private mutating func addESP(_ layer: ESPLayer, sad: SADatabase, membership: Membership) {
        let sa = layer.saIndex.flatMap { $0 < sad.entries.count ? sad.entries[$0] : nil }
        add("; ESP SPI ")
        spi(layer.spi)
        add(" seq ")
        number(layer.sequence & 0xFFFF_FFFF)
        if sa?.extendedSequenceNumbers == true {
            // Only the low half travels: the high half is RFC 4303 Appendix A2's inference.
            add(" (ESN high ")
            number(layer.sequence >> 32)
            add(" inferred")
            if layer.sequence >> 32 != 0 {
                add(": ")
                number(layer.sequence)
            }
            add(")")
        }
        add(" ")
        add(layer.verdict.rawValue)
        if layer.verdict == .decrypted {
            add(", ICV ")
            add(layer.icv.rawValue)
            if let tunnel = layer.tunnel { add(tunnel ? ", tunnel" : ", transport") }
        }
        if let sa {
            add(", ")
            add(sa.algorithmDescription)
            if layer.saMatch == .spiOnly { add(" (matched by SPI only)") }
        }
        if let child = membership.child {
            add(", CHILD_SA #")
            number(child + 1)
            if let ikeSA = membership.ikeSA {
                add(" of IKE SA #")
                number(ikeSA + 1)
            }
        } else if let sa {
            addLabel(sa)
        }
    }

    /// " (reassembled from fragments in frames 3, 4)"; past `FragmentFrames.maxListed`
    /// fragments, " (reassembled from 12 fragments in frames 1, 2, 3, 4, 5, 6, 7, 8, …)".
    private mutating func addFragments(_ fragments: FragmentFrames) {
        guard !fragments.listed.isEmpty else { return add(" (reassembled from fragments)") }
        add(" (reassembled from ")
        if fragments.count > fragments.listed.count {
            number(fragments.count)
            add(" ")
        }
        add("fragments in frame")
        if fragments.count > 1 { add("s") }
        for (index, frame) in fragments.listed.enumerated() {
            add(index == 0 ? " " : ", ")
            number(frame)
        }
        add(fragments.count > fragments.listed.count ? ", …)" : ")")
    }

    /// The SA's name from its key file (a strongSwan CHILD_SA name), when it has one.
    private mutating func addLabel(_ sa: SecurityAssociation) {
        guard let label = sa.label else { return }
        add(", SA \"")
        add(DisplayText.clipped(DisplayText.escaped(label), limit: ProvenanceComment.maxNameLength))
        add("\"")
    }

    /// Names the inputs `paths` (in `PacketRecord.source` order): each file's name (its path
    /// when two share a name, as the text report does), escaped and cut.
    mutating func name(_ paths: [String]) {
        names = SourceNames.shortNames(paths).map {
            Array(DisplayText.clipped(DisplayText.escaped($0), limit: ProvenanceComment.maxNameLength).utf8)
        }
    }

    private mutating func add(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// A number in decimal, written straight into the buffer (no string is made per packet).
    private mutating func number<T: BinaryInteger>(_ value: T) {
        var rest = UInt64(clamping: value)
        guard rest != 0 else { return bytes.append(UInt8(ascii: "0")) }
        let start = bytes.count
        while rest > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        bytes[start...].reverse()
    }

    /// An SPI as every report shows it: 0x and eight hex digits.
    private mutating func spi(_ spi: SPI) {
        add("0x")
        for shift in stride(from: 28, through: 0, by: -4) {
            bytes.append(UInt8(DisplayText.hexDigits[Int((spi.rawValue >> UInt32(shift)) & 0xf)].value))
        }
    }
}
