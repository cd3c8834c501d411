import ArgumentParser
import SpiglassAnalysis
import SpiglassSAD

struct KeysConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Rewrite key files in another format.",
        discussion: """
            --to wireshark writes one table per run on standard output (--table esp_sa|ikev2|ikev1), \
            or, with --output-dir, adds the rows to the tables in that folder under the names \
            Wireshark uses (~/.config/wireshark/), keeping the rows already there. SAs a format \
            cannot express are written as comments.
            """ + HelpExamples.keysConvert
    )

    @OptionGroup var output: KeyOutputOptions

    @Option(name: .long, help: ArgumentHelp("Force the input format instead of detecting it.", valueName: "format"))
    var keyFormat: KeyFileFormat?

    @OptionGroup var inline: InlineKeyOptions

    @Flag(name: .long, help: "Let a tcpdump key file include (file PATH) any regular file, by an absolute path too.")
    var allowAbsoluteIncludes = false

    @Argument(help: "Key files to convert (merged).")
    var files: [String] = []

    func validate() throws {
        if files.isEmpty && inline.specs.isEmpty { throw ValidationError("give key files to convert, or --key") }
    }

    func run() throws {
        let errors = FileDescriptorSink(descriptor: 2, lineBuffered: true)
        let keys: KeySet
        do {
            keys = try KeyFileWarnings(sink: errors).load(
                files, inline: inline.specs, format: keyFormat,
                includes: allowAbsoluteIncludes ? .anywhere : .confined)
        } catch {
            errors.write("spiglass: error: \(error)\n")
            throw ExitCode(1)
        }
        try KeyOutput(options: output, errors: errors, inputs: files + keys.includedFiles).write(keys)
    }
}
