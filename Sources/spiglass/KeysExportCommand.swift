import ArgumentParser
import SpiglassAnalysis
import SpiglassCapture
import SpiglassSAD

struct KeysExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the SAs that a capture actually uses, in any key format.",
        discussion: """
            Runs the analysis quietly and keeps each SA that matched at least one packet, including the \
            ESP SAs derived from an IKE SA's SK_d, and each IKE SA whose messages the capture holds \
            (IKE keys from a log that did not name their SPIs are written with the SPIs the capture \
            bound them to). Exits 1 when nothing matched.
            """ + HelpExamples.keysExport
    )

    @Option(
        name: .customShort("r"),
        help: ArgumentHelp(
            "Capture file to read; repeat it (or give a quoted pattern) for several files; '-' reads standard input.",
            valueName: "capture"))
    var read: [String]

    @Option(name: .customShort("k"), help: ArgumentHelp("Key file; repeat to merge several.", valueName: "keyfile"))
    var keys: [String] = []

    @OptionGroup var inline: InlineKeyOptions

    @Flag(name: .long, help: "Let a tcpdump key file include (file PATH) any regular file, by an absolute path too.")
    var allowAbsoluteIncludes = false

    @Option(name: .long, help: ArgumentHelp("Force the key-file format instead of detecting it.", valueName: "format"))
    var keyFormat: KeyFileFormat?

    @Option(name: .customShort("f"), help: ArgumentHelp("BPF filter.", valueName: "filter"))
    var filter: String?

    @OptionGroup var output: KeyOutputOptions

    func run() throws {
        let errors = FileDescriptorSink(descriptor: 2, lineBuffered: true)
        do {
            let keySet = try KeyFileWarnings(sink: errors).load(
                keys, inline: inline.specs, format: keyFormat,
                includes: allowAbsoluteIncludes ? .anywhere : .confined)
            let captures = try CaptureFiles.expand(read).paths
            let reader = try CaptureStream(paths: captures, filter: filter)
            var options = AnalysisOptions()
            options.quiet = true
            let analyzer = try Analyzer(
                sad: Analyzer.espDatabase(keySet), ahSAD: Analyzer.ahDatabase(keySet), ikeKeys: keySet.ikeSAs,
                options: options, output: DiscardingSink())
            _ = analyzer.run(reader)
            let usedESP = Set(analyzer.flows.filter { $0.key.ipsecProtocol == .esp }.compactMap(\.saIndex)).sorted()
            let usedAH = Set(analyzer.flows.filter { $0.key.ipsecProtocol == .ah }.compactMap(\.saIndex)).sorted()
            var exported = KeySet()
            exported.sas = usedESP.map { analyzer.sad.entries[$0] } + usedAH.map { analyzer.ahSAD.entries[$0] }
            let seenIKE = Set(analyzer.ike.ikeSAs.map(\.spis.initiator))
            exported.ikeSAs =
                keySet.ikeSAs.filter { $0.binding == .given && seenIKE.contains($0.initiatorSPI) }
                + analyzer.ike.boundKeys
            guard !exported.isEmpty else {
                errors.write(
                    "spiglass: error: no key of \(keySet.sas.count) IPsec SA(s) and \(keySet.ikeSAs.count) IKE SA(s) matched a packet of the capture; nothing exported\n"
                )
                throw ExitCode(1)
            }
            try KeyOutput(options: output, errors: errors, inputs: captures + keys + keySet.includedFiles).write(
                exported)
        } catch let error as ExitCode {
            throw error
        } catch {
            errors.write("spiglass: error: \(error)\n")
            throw ExitCode(1)
        }
    }
}
