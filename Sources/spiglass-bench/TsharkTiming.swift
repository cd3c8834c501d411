import Foundation
import SpiglassSAD

/// Times tshark decrypting a slice of the benchmark's capture with the same keys, for the
/// ratio the issue of record asks for: tshark is the tool users would otherwise reach for.
enum TsharkTiming {
    struct Result {
        var seconds: Double
        /// Frames tshark decrypted (two IP layers: outer and inner).
        var decrypted: Int
    }

    static let path: String? = {
        var directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        directories += ["/usr/bin", "/usr/local/bin"]
        return directories.map { $0 + "/tshark" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Runs tshark over `capture` with `sas` as its `esp_sa` table, in a private profile (HOME)
    /// so the user's own preferences neither help nor hurt it. Every frame is dissected, the
    /// decrypted inner packet included; the output (one line per decrypted frame) is counted.
    static func run(capture: String, sas: [SecurityAssociation]) throws -> Result? {
        guard let path else { return nil }
        let fm = FileManager.default
        let home = NSTemporaryDirectory() + "spiglass-bench-tshark-\(getpid())"
        defer { try? fm.removeItem(atPath: home) }
        let config = home + "/.config/wireshark"
        try fm.createDirectory(atPath: config, withIntermediateDirectories: true)
        var keys = KeySet()
        keys.sas = sas
        try KeyFileWriter.wireshark(keys).espSA.write(toFile: config + "/esp_sa", atomically: true, encoding: .utf8)
        try "esp.enable_encryption_decode: TRUE\nesp.enable_authentication_check: TRUE\n"
            .write(toFile: config + "/preferences", atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-r", capture, "-n", "-Y", "count(ip) == 2", "-T", "fields", "-e", "frame.number"]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["XDG_CONFIG_HOME"] = home + "/.config"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let start = Bench.now()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = Bench.now() - start
        guard process.terminationStatus == 0 else { return nil }
        let lines = data.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        return Result(seconds: seconds, decrypted: lines)
    }
}
