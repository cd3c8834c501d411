import Foundation
import Testing

/// Runs the built `spiglass` binary for the end-to-end suites (`CLITests.run`), checking that no
/// key material reaches its output.
extension CLITests {
    static var binary: String {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("spiglass").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("spiglass").path,
            Paths.root + "/.build/debug/spiglass",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], stdin: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: Paths.root)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin { process.standardInput = FileHandle(forReadingAtPath: stdin) }
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let run = Run(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
        KeyLeakCheck.check(arguments, directory: Paths.root, stdout: run.stdout, stderr: run.stderr)
        return run
    }

    static func temporary(_ name: String) -> String {
        NSTemporaryDirectory() + "spiglass-test-\(getpid())-\(UUID().uuidString)-" + name
    }
}
