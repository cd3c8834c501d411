import Foundation
import SpiglassAnalysis
import Testing

/// `AnalysisSession` run in process gives what the built binary gives for the same command
/// line: the reports byte for byte, the warnings and errors, the exit status, the -w file.
@Suite struct AnalysisSessionTests {
    /// One command line of the binary and the same run as a session's configuration.
    struct Case: CustomStringConvertible {
        var arguments: [String]
        var configuration: AnalysisSession.Configuration
        var description: String { arguments.joined(separator: " ") }

        init(
            _ command: String, capture: String, keys: [String], threads: Int, json: Bool = false, quiet: Bool = false,
            failOn: [RunEvent] = []
        ) {
            let capture = AnalysisSessionTests.path(capture)
            let keys = keys.map(AnalysisSessionTests.path)
            arguments = [command, "-r", capture, "--threads", String(threads)] + keys.flatMap { ["-k", $0] }
            if json { arguments.append("--json") }
            if quiet { arguments.append("-q") }
            if !failOn.isEmpty { arguments += ["--fail-on", failOn.map(\.rawValue).joined(separator: ",")] }
            configuration = AnalysisSession.Configuration()
            configuration.captures = [capture]
            configuration.keyFiles = keys
            configuration.threads = threads
            configuration.failOn = failOn
            configuration.options.report = command == "ike" ? .ike : .packets
            configuration.options.format = json ? .json : .text
            configuration.options.quiet = quiet
        }
    }

    static func path(_ relative: String) -> String { relative.hasPrefix("/") ? relative : Paths.root + "/" + relative }

    /// Runs the configuration in process: reports, standard error, status.
    static func runSession(_ configuration: AnalysisSession.Configuration) -> (
        output: String, errors: String, status: AnalysisStatus
    ) {
        let output = StringSink()
        let errors = StringSink()
        let status = AnalysisSession(configuration, errors: errors) { _ in output }.run()
        return (output.text, errors.text, status)
    }

    static func expectSameRun(_ run: Case) throws {
        let binary = try CLITests.run(run.arguments)
        let session = runSession(run.configuration)
        #expect(session.output == binary.stdout, "\(run): the reports differ")
        #expect(session.errors == binary.stderr, "\(run): standard error differs")
        #expect(session.status.exitStatus == binary.status, "\(run): \(session.status) vs exit status \(binary.status)")
    }

    static let strongSwanGCM = "Fixtures/strongswan/aes256gcm16-v4"

    @Test(arguments: [1, 2])
    func analyzeTextAndJSONAsTheBinary(threads: Int) throws {
        for json in [false, true] {
            try Self.expectSameRun(
                Case(
                    "analyze", capture: "\(Self.strongSwanGCM)/capture.pcap",
                    keys: ["\(Self.strongSwanGCM)/sa.spiglass"], threads: threads, json: json))
            try Self.expectSameRun(
                Case(
                    "analyze", capture: "Fixtures/scapy/bad-packets.pcap",
                    keys: ["Fixtures/scapy/bad-packets.spiglass"], threads: threads, json: json))
        }
    }

    @Test(arguments: [1, 2])
    func ikeReportAsTheBinary(threads: Int) throws {
        let folder = "Fixtures/strongswan-ike/rekey-cbc-sha256"
        for json in [false, true] {
            try Self.expectSameRun(
                Case(
                    "ike", capture: "\(folder)/capture.pcap",
                    keys: ["\(folder)/ikev2_decryption_table", "\(folder)/esp_sa"], threads: threads, json: json))
        }
    }

    @Test func failOnEventsEndTheRunWithTheirStatus() throws {
        let run = Case(
            "analyze", capture: "Fixtures/scapy/bad-packets.pcap", keys: ["Fixtures/scapy/bad-packets.spiglass"],
            threads: 1, quiet: true, failOn: [.icv, .leak])
        try Self.expectSameRun(run)
        let session = Self.runSession(run.configuration)
        #expect(session.status == .failOn([.icv]))
        #expect(session.status.exitStatus == 4)
        #expect(session.errors.contains("spiglass: --fail-on: icv ("))
    }

    @Test(arguments: [1, 2])
    func aDamagedCaptureEndsAsDamaged(threads: Int) throws {
        let data = try #require(FileManager.default.contents(atPath: Self.path("\(Self.strongSwanGCM)/capture.pcap")))
        let cut = CLITests.temporary("session-cut.pcap")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try data.prefix(data.count - 7).write(to: URL(fileURLWithPath: cut))
        let run = Case(
            "analyze", capture: cut, keys: ["\(Self.strongSwanGCM)/sa.spiglass"], threads: threads, json: true)
        try Self.expectSameRun(run)
        #expect(Self.runSession(run.configuration).status == .damagedCapture)
    }

    @Test func unusableInputsAreErrorsWithStatusOne() throws {
        let missingKeys = Case(
            "analyze", capture: "\(Self.strongSwanGCM)/capture.pcap",
            keys: ["Fixtures/no-such-keys.spiglass"], threads: 1)
        try Self.expectSameRun(missingKeys)
        let missingCapture = Case("analyze", capture: "Fixtures/no-such-capture.pcap", keys: [], threads: 2)
        try Self.expectSameRun(missingCapture)
        var badFilter = Case("analyze", capture: "\(Self.strongSwanGCM)/capture.pcap", keys: [], threads: 1)
        badFilter.arguments += ["-f", "not a ( filter"]
        badFilter.configuration.filter = "not a ( filter"
        try Self.expectSameRun(badFilter)
        let session = Self.runSession(missingKeys.configuration)
        #expect(session.status == .inputUnusable)
        #expect(session.errors.hasPrefix("spiglass: error: "))
        #expect(session.output.isEmpty)
    }

    @Test(arguments: [1, 2])
    func writesTheSamePcapAsTheBinary(threads: Int) throws {
        let fromBinary = CLITests.temporary("binary.pcap")
        let fromSession = CLITests.temporary("session.pcap")
        defer {
            try? FileManager.default.removeItem(atPath: fromBinary)
            try? FileManager.default.removeItem(atPath: fromSession)
        }
        var run = Case(
            "analyze", capture: "\(Self.strongSwanGCM)/capture.pcap", keys: ["\(Self.strongSwanGCM)/sa.spiglass"],
            threads: threads, quiet: true)
        run.arguments += ["-w", fromBinary]
        let binary = try CLITests.run(run.arguments)
        run.configuration.options.writePath = fromSession
        let session = Self.runSession(run.configuration)
        #expect(binary.status == 0 && session.status == .completed, "\(binary.stderr) \(session.errors)")
        let written = try #require(FileManager.default.contents(atPath: fromSession))
        #expect(written == FileManager.default.contents(atPath: fromBinary))
        #expect(written.count > 24 + 26 * 16, "26 decrypted packets after the pcap header")
        #expect(session.output == binary.stdout)
    }

    @Test func anOutputNamingAnInputIsRefused() {
        var configuration = Case("analyze", capture: "\(Self.strongSwanGCM)/capture.pcap", keys: [], threads: 1)
            .configuration
        configuration.options.writePath = configuration.captures[0]
        let session = Self.runSession(configuration)
        #expect(session.status == .inputUnusable)
        #expect(session.errors.hasPrefix("spiglass: error: "))
    }

    @Test func stopRequestsEndTheRunWithTheSignalsStatus() {
        struct StopAtOnce: AnalysisSessionControl {
            var stopRequested: Bool { true }
            func takeReloadRequest() -> Bool { false }
            func stop(after seconds: Double) {}
            var receivedStopSignal: Int32? { 15 }
        }
        let configuration = Case(
            "analyze", capture: "\(Self.strongSwanGCM)/capture.pcap",
            keys: ["\(Self.strongSwanGCM)/sa.spiglass"], threads: 1
        ).configuration
        let output = StringSink()
        let errors = StringSink()
        let status = AnalysisSession(configuration, errors: errors, control: StopAtOnce()) { _ in output }.run()
        #expect(status == .stopped(signal: 15))
        #expect(status.exitStatus == 128 + 15)
        // Stopped at a record boundary, with its summary.
        #expect(output.text.contains("Verdicts:"))
        #expect(!output.text.contains("decrypted 26"))
    }

    @Test func limitSettingsAreReadOnce() throws {
        let setting = try ResourceLimitSetting("ike-message-bytes=512k")
        #expect(setting.limit == .ikeMessageBytes && setting.value == 512 << 10)
        var options = AnalysisOptions()
        setting.apply(to: &options)
        #expect(options.ikeLimits.maxMessageBytesKept == 512 << 10)
        #expect(throws: ResourceLimitError.self) { try ResourceLimitSetting("ike-sas=0") }
        #expect(throws: ResourceLimitError.self) { try ResourceLimitSetting("no-such-limit=1") }
    }
}
