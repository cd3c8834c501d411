/// libpcap's refusal of a pcapng whose interfaces have several link types, as
/// `CaptureReader.mixedLinkTypes` words it, laid out for a terminal: what was found, why
/// libpcap stops, and the commands that split the file, broken where a shell continues a line
/// (" \") so that each can be copied as it is shown.
enum MixedLinkTypeRows {
    /// The headline's fact and the rows under it, nil when `damage` is some other damage.
    static func rows(_ damage: String) -> (fact: String, rows: [String])? {
        // The damage sentence's parts: "the pcapng has an interface of LINKTYPE 101 (rawip)
        // besides the first interface's link type, and libpcap …; split it per interface …, e.g.
        // for interface N: editcap … $(tshark …) (tshark … works for the interfaces of the first
        // one's link type)".
        let shape =
            #/^the pcapng has an interface of (?<other>.+) besides the first interface's link type, and (?<cause>libpcap reads only pcapng files whose interfaces share one link type); (?<fix>split it per interface and read each file), e\.g\. for interface N: (?<editcap>editcap .+ IN-N\.pcap) (?<select>\$\(tshark .+ -e frame\.number\)) \((?<first>tshark .+ IN-0\.pcap) works for the interfaces of the first one's link type\)$/#
        guard let match = damage.wholeMatch(of: shape) else { return nil }
        let out = match.output
        let select = String(out.select)
        // "$(tshark -r IN.pcapng -Y '…' -T fields -e frame.number)": the field list on a row of its own.
        let fields = select.range(of: " -T fields ")
        return (
            "the pcapng mixes link types",
            [
                "found: an interface of \(out.other) besides the first one's",
                "cause: \(out.cause)",
                "fix: \(out.fix); for interface N:",
            ]
                + editcapRows(String(out.editcap))
                + (fields.map {
                    ["    \(select[..<$0.lowerBound]) \\", "      \(select[$0.lowerBound...].dropFirst())"]
                } ?? ["    \(select)"])
                + ["or: \(out.first)", "    (for the interfaces of the first one's link type)"]
        )
    }

    /// "editcap -r -F pcap -T rawip IN.pcapng IN-N.pcap \\", its file names on a row of their own
    /// when the encapsulation is a long placeholder ("<encapsulation: editcap -T lists them>").
    private static func editcapRows(_ editcap: String) -> [String] {
        guard editcap.count > 60, let files = editcap.range(of: " IN.pcapng ") else { return ["  \(editcap) \\"] }
        return ["  \(editcap[..<files.lowerBound]) \\", "    \(editcap[files.lowerBound...].dropFirst()) \\"]
    }
}
