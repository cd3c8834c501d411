import SpiglassCapture

/// Why a capture was not read to its end (`CaptureDamage`), in both of its forms, made from the
/// same fields: the sentence (the summary's damage, the run's warnings, JSON and HTML), and for
/// libpcap's refusal of a pcapng mixing link types, the rows a terminal shows instead: what was
/// found, why libpcap stops, and the commands that split the file, broken where a shell
/// continues a line (" \") so that each can be copied as it is shown.
enum CaptureDamageText {
    /// The damage as one sentence; in a stream of several files, which file and how far it was read.
    static func sentence(_ damage: CaptureDamage) -> String {
        let cause: String
        switch damage.cause {
        case .reported(let words): cause = words
        case .mixedLinkTypes(let linkType):
            let split = MixedLinkTypes(linkType)
            cause =
                "the pcapng has an interface of \(split.other) besides the first interface's link type, and "
                + "\(MixedLinkTypes.cause); \(MixedLinkTypes.fix), e.g. for interface N: \(split.editcap) "
                + "\(MixedLinkTypes.select) (\(MixedLinkTypes.first) works \(MixedLinkTypes.firstIsFor))"
        }
        guard let file = damage.file else { return cause }
        let what =
            damage.unreadable ? "read up to its frame \(file.frames) only" : "damaged after its frame \(file.frames)"
        return "capture file '\(file.path)' \(what): \(cause); the rest of that file is not read"
    }

    /// The run's damages as the summary's one sentence, nil when every file was read to its end.
    static func sentence(_ damages: [CaptureDamage]) -> String? {
        damages.isEmpty ? nil : damages.map(sentence).joined(separator: "; ")
    }

    /// The headline's fact and the rows under it, nil when the damage has no layout (it is
    /// another's words, or a file of several, which says more than the rows would).
    static func laidOut(_ damage: CaptureDamage) -> (fact: String, rows: [String])? {
        guard damage.file == nil, case .mixedLinkTypes(let linkType) = damage.cause else { return nil }
        let split = MixedLinkTypes(linkType)
        return (
            "the pcapng mixes link types",
            [
                "found: an interface of \(split.other) besides the first one's",
                "cause: \(MixedLinkTypes.cause)",
                "fix: \(MixedLinkTypes.fix); for interface N:",
            ]
                // The file names on a row of their own when the encapsulation is a long placeholder.
                + (split.editcap.count > 60
                    ? ["  \(split.editcapCommand) \\", "    \(MixedLinkTypes.editcapFiles) \\"]
                    : ["  \(split.editcap) \\"])
                // The field list of the frame selection on a row of its own.
                + ["    \(MixedLinkTypes.selectFilter) \\", "      \(MixedLinkTypes.selectFields)"]
                + ["or: \(MixedLinkTypes.first)", "    (\(MixedLinkTypes.firstIsFor))"]
        )
    }

    /// The IKE report's line for the run's damages: "capture ended early: …", laid out when it is
    /// libpcap's refusal of a pcapng mixing link types alone.
    static func endedEarly(_ damages: [CaptureDamage]) -> LaidOutLine? {
        guard let sentence = sentence(damages) else { return nil }
        let whole = "capture ended early: \(sentence)"
        guard damages.count == 1, let laidOut = laidOut(damages[0]) else { return LaidOutLine(whole) }
        return LaidOutLine(whole: whole, headline: "capture ended early: \(laidOut.fact)", rows: laidOut.rows)
    }

    /// The words of the refusal of a pcapng whose interfaces have several link types, and of
    /// the commands that split it, for the other interface's LINKTYPE when libpcap named it.
    private struct MixedLinkTypes {
        static let cause = "libpcap reads only pcapng files whose interfaces share one link type"
        static let fix = "split it per interface and read each file"
        static let editcapFiles = "IN.pcapng IN-N.pcap"
        static let selectFilter = "$(tshark -r IN.pcapng -Y 'frame.interface_id == N'"
        static let selectFields = "-T fields -e frame.number)"
        static let select = "\(selectFilter) \(selectFields)"
        static let first = "tshark -Y 'frame.interface_id == 0' -F pcap -w IN-0.pcap"
        static let firstIsFor = "for the interfaces of the first one's link type"

        /// "LINKTYPE 101 (rawip)", or "another link type" when libpcap did not say.
        let other: String
        /// "editcap -r -F pcap -T rawip", with a placeholder for an encapsulation it has no name of.
        let editcapCommand: String
        var editcap: String { "\(editcapCommand) \(Self.editcapFiles)" }

        init(_ linkType: Int?) {
            let name = linkType.flatMap(Self.editcapName)
            other = linkType.map { "LINKTYPE \($0)\(name.map { " (\($0))" } ?? "")" } ?? "another link type"
            editcapCommand = "editcap -r -F pcap -T \(name ?? "<encapsulation: editcap -T lists them>")"
        }

        /// editcap's `-T` name of a LINKTYPE, for the common ones.
        static func editcapName(_ linkType: Int) -> String? {
            switch linkType {
            case 0: return "null"
            case 1: return "ether"
            case 101: return "rawip"
            case 108: return "loop"
            case 113: return "linux-sll"
            case 228: return "rawip4"
            case 229: return "rawip6"
            case 276: return "linux-sll2"
            default: return nil
            }
        }
    }
}
