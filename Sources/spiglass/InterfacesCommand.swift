import ArgumentParser
import SpiglassAnalysis
import SpiglassCapture

struct InterfacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interfaces",
        abstract: "List the interfaces a live capture can use (like tcpdump -D).",
        discussion: HelpExamples.interfaces
    )

    @Flag(name: .long, help: "Also list each interface's addresses.")
    var addresses = false

    func run() throws {
        let out = FileDescriptorSink(descriptor: 1)
        let interfaces: [CaptureInterface]
        do {
            interfaces = try CaptureInterface.all()
        } catch {
            FileDescriptorSink(descriptor: 2, lineBuffered: true).write("spiglass: error: \(error)\n")
            throw ExitCode(1)
        }
        for (index, interface) in interfaces.enumerated() {
            var flags: [String] = []
            if interface.isUp { flags.append("Up") }
            if interface.isRunning { flags.append("Running") }
            if interface.isLoopback { flags.append("Loopback") }
            if let connection = interface.connection { flags.append(connection) }
            var line = "\(index + 1).\(interface.name)"
            if let description = interface.description { line += " (\(description))" }
            if !flags.isEmpty { line += " [\(flags.joined(separator: ", "))]" }
            out.write(line + "\n")
            if addresses {
                for address in interface.addresses { out.write("    \(address)\n") }
            }
        }
        out.flush()
    }
}
