import Foundation
import SpiglassWire

/// Runs tshark with an `esp_sa` table through a private profile (HOME), as the corpus README does.
enum Tshark {
    static let path: String? = {
        var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        dirs += ["/usr/bin", "/usr/local/bin"]
        return dirs.map { $0 + "/tshark" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    struct Frame {
        var number: Int
        var spis: [String]
        var nextHeader: String?
        var padLength: Int?
        var icvGood: Bool
        var icvBad: Bool
        /// Innermost layer's decrypted bytes (payload, padding, pad length, next header).
        var decryptedData: [UInt8]?
        /// Innermost layer's payload without padding and trailer.
        var containedData: [UInt8]?
        /// Payload of every layer tshark decrypted, outermost first.
        var containedLayers: [[UInt8]] = []
    }

    static let fields = [
        "frame.number", "esp.spi", "esp.protocol", "esp.pad_len", "esp.icv_good", "esp.icv_bad",
        "esp.decrypted_data", "esp.contained_data",
    ]

    /// tshark's standard output for `arguments`, run with a private profile (HOME) that holds
    /// `files` (profile file name → path of the file to copy there) and `preferences`.
    static func output(_ arguments: [String], files: [String: String], preferences: String = "") throws -> String {
        let fm = FileManager.default
        let home = NSTemporaryDirectory() + "spiglass-tshark-\(UUID().uuidString)"
        defer { try? fm.removeItem(atPath: home) }
        let config = home + "/.config/wireshark"
        try fm.createDirectory(atPath: config, withIntermediateDirectories: true)
        for (name, source) in files { try fm.copyItem(atPath: source, toPath: config + "/" + name) }
        try preferences.write(toFile: config + "/preferences", atomically: true, encoding: .utf8)

        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["XDG_CONFIG_HOME"] = config.replacingOccurrences(of: "/wireshark", with: "")
        let (output, status) = try run(arguments, environment: environment)
        guard status == 0 else { throw TsharkError(message: "tshark exited with \(status) on \(arguments)") }
        return output
    }

    /// tshark's standard output and exit status with `arguments` (its errors discarded).
    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> (
        output: String, status: Int32
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path ?? "/usr/bin/tshark")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), process.terminationStatus)
    }

    /// One entry per frame that has ESP, after IP reassembly; the values of the innermost ESP layer.
    static func decryptESP(capture: String, espSA: String) throws -> [Frame] {
        var arguments = [
            "-r", capture, "-n", "-Y", "esp", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E",
            "aggregator=,",
        ]
        for field in fields { arguments += ["-e", field] }
        let text = try output(
            arguments, files: ["esp_sa": espSA],
            preferences: "esp.enable_encryption_decode: TRUE\nesp.enable_authentication_check: TRUE\n")
        return text.split(separator: "\n").map { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func value(_ name: String) -> [String] {
                guard let i = fields.firstIndex(of: name), i < columns.count, !columns[i].isEmpty else { return [] }
                return columns[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            }
            let spis = value("esp.spi")
            // Fields of the innermost layer are the last occurrence; only decrypted layers have them.
            let isInnermost = value("esp.protocol").count == spis.count
            return Frame(
                number: Int(columns[0])!, spis: spis,
                nextHeader: isInnermost ? value("esp.protocol").last : nil,
                padLength: isInnermost ? value("esp.pad_len").last.flatMap { Int($0) } : nil,
                icvGood: value("esp.icv_good").count == spis.count && value("esp.icv_good").last == "1",
                icvBad: value("esp.icv_bad").count == spis.count && value("esp.icv_bad").last == "1",
                decryptedData: value("esp.decrypted_data").last.flatMap { Hex.decode($0) },
                containedData: value("esp.contained_data").last.flatMap { Hex.decode($0) },
                containedLayers: value("esp.contained_data").compactMap { Hex.decode($0) })
        }
    }

    /// The frame numbers a display filter selects in `capture` (an empty profile: dissection only).
    static func frameNumbers(capture: String, filter: String) throws -> [Int] {
        let text = try output(["-r", capture, "-n", "-Y", filter, "-T", "fields", "-e", "frame.number"], files: [:])
        return text.split(separator: "\n").compactMap { Int($0) }
    }

    struct TsharkError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
