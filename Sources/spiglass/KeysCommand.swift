import ArgumentParser
import SpiglassAnalysis
import SpiglassCapture
import SpiglassSAD

extension KeyFileFormat: ExpressibleByArgument {}
extension KeyFileWriter.Target: ExpressibleByArgument {}

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Check, convert and export key files.",
        subcommands: [KeysCheckCommand.self, KeysConvertCommand.self, KeysExportCommand.self]
    )
}
