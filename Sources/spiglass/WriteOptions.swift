import ArgumentParser
import SpiglassAnalysis

extension AnalysisOptions.WriteFormat: ExpressibleByArgument {}

/// How -w writes its file: the format (pcapng carries each packet's provenance as a comment)
/// and whether packets keep their outer headers.
struct WriteOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Format of the -w file: pcapng gives each packet a comment naming its file, frame, SPI, sequence number, SA, verdict and algorithms (default: pcapng when the name ends in .pcapng, pcap otherwise, and for '-').",
            valueName: "format"))
    var writeFormat: AnalysisOptions.WriteFormat?

    @Flag(
        name: .long,
        help:
            "-w writes each decrypted packet in place of its ESP, inside the frame's link layer and outer IP header (fixed to carry it)."
    )
    var keepOuter = false

    /// Refuses these options without -w.
    func check(write: String?) throws {
        guard write == nil else { return }
        if writeFormat != nil { throw ValidationError("--write-format applies to the -w file: give -w FILE") }
        if keepOuter { throw ValidationError("--keep-outer applies to the -w file: give -w FILE") }
    }

    /// Sets the format and `keepOuter` of the -w file `path`.
    func apply(to options: inout AnalysisOptions, path: String?) {
        guard let path else { return }
        options.writeFormat = writeFormat ?? WriteOptions.format(ofName: path)
        options.keepOuter = keepOuter
    }

    /// The format a file name asks for: pcapng for a name ending in .pcapng (in any case),
    /// pcap otherwise (standard output included).
    static func format(ofName path: String) -> AnalysisOptions.WriteFormat {
        path.lowercased().hasSuffix(".pcapng") ? .pcapng : .pcap
    }
}
