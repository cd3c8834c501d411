import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassWire
import Testing

@testable import SpiglassSAD

/// What the suites of the log and secrets parsers share: reading a fixture's key files in each
/// format, running a capture through the pipeline with them, and the error a parse threw.
protocol KeyFileParserChecks {}

/// One row of Wireshark's `ikev2_decryption_table`: SPIs and the keys as the file spells them.
struct WiresharkIKETableRow {
    var spii: UInt64, spir: UInt64
    var ei: String, er: String, ai: String, ar: String
}

extension KeyFileParserChecks {
    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    static func nativeSAs(_ path: String) throws -> [SecurityAssociation] {
        try KeyFileLoader.parse(try read(path), file: path)
    }

    static func wiresharkSAs(_ path: String) throws -> [SecurityAssociation] {
        var result: [SecurityAssociation] = []
        var n = 0
        for line in try read(path).split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            let t = line.drop { $0 == " " || $0 == "\t" }
            if t.isEmpty || t.hasPrefix("#") { continue }
            result.append(try WiresharkESPSAParser.parseLine(t, file: path, lineNumber: n))
        }
        return result
    }

    static func ikeTable(_ path: String) throws -> [WiresharkIKETableRow] {
        try read(path).split(separator: "\n").compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 8, let i = UInt64(f[0], radix: 16), let r = UInt64(f[1], radix: 16) else { return nil }
            return WiresharkIKETableRow(spii: i, spir: r, ei: f[2], er: f[3], ai: f[5], ar: f[6])
        }
    }

    static func runPipeline(_ capture: String, sas: [SecurityAssociation]) throws -> AnalysisSummary {
        let sad = SADatabase(sas.filter { $0.ipsecProtocol == .esp })
        let reader = try CaptureReader(path: capture)
        let analyzer = try Analyzer(sad: sad, options: AnalysisOptions(), output: StringSink())
        return analyzer.run(reader)
    }

    static func error(_ body: () throws -> Void) -> KeyFileError? {
        do {
            try body()
            return nil
        } catch let e as KeyFileError {
            return e
        } catch {
            return nil
        }
    }

    static func noFiles(_ path: String) throws -> String {
        throw KeyFileError(.cannotRead, file: path, line: 0, "no files in this test")
    }
}
