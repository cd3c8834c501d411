import ArgumentParser
import SpiglassAnalysis
import SpiglassSAD

/// `--key SPEC`: keys on the command line, as tcpdump `-E` and tshark `-o uat:` take them.
struct InlineKeyOptions: ParsableArguments {
    @Option(
        name: .customLong("key"),
        help: ArgumentHelp(
            "Keys inline: one line of any key format, e.g. 'esp spi=0x… enc=aes-cbc enc-key=0x…' (repeatable). It stays in the shell history and shows in the process list; a key file is safer.",
            valueName: "spec"))
    var specs: [String] = []

    /// The warning, once, when keys were given this way.
    func warn(_ errors: FileDescriptorSink) {
        if !specs.isEmpty { errors.write("spiglass: warning: \(KeyArgument.warning)\n") }
    }
}
