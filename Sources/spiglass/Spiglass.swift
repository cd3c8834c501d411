import ArgumentParser

@main
struct Spiglass: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spiglass",
        abstract: "Analyze and decrypt IPsec (ESP, AH, IKE) in packet captures.",
        discussion: HelpExamples.root,
        version: "0.1.0",
        subcommands: [
            AnalyzeCommand.self, IKECommand.self, ReportCommand.self, KeysCommand.self, InterfacesCommand.self,
        ],
        defaultSubcommand: AnalyzeCommand.self
    )
}
