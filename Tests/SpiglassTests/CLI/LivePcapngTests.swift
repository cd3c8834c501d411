import Foundation
import SpiglassCapture
import Testing

@testable import SpiglassAnalysis

/// A live capture's pcapng (`ScriptedLiveSource`, no network): in place from the start and made
/// of whole blocks while the capture runs, as another tool following it needs, and in the end
/// the file a run over the capture file writes, on one thread or several.
@Suite struct LivePcapngTests {
    static let capture = Paths.fixture("strongswan-ike/rekey-cbc-sha256/capture.pcap")
    static let keys = Paths.fixture("strongswan-ike/rekey-cbc-sha256/sa.spiglass")

    @Test(arguments: [1, 2])
    func liveFileIsWholeWhileItGrows(threads: Int) throws {
        let directory = CLITests.temporary("live-pcapng")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (live, file) = (directory + "/live.pcapng", directory + "/file.pcapng")
        let fromFile = PcapngOutputTests.write(
            [Self.capture], keys: [Self.keys], to: file, format: .pcapng, keepOuter: true)
        #expect(fromFile.status == .completed, "\(fromFile.errors)")
        let keySet = try Analyzer.loadKeySet([Self.keys])
        var options = AnalysisOptions()
        options.flushEachPacket = true
        options.quiet = true
        options.writePath = live
        options.writeFormat = .pcapng
        options.keepOuter = true
        // Named as the file's, which the file run's are compared with.
        options.writeInterfaceNames = PcapngInterfaceNames.of(
            options, sources: try CaptureStream(paths: [Self.capture]).sources, live: false)
        let source = try ScriptedLiveSource(Self.capture, timeoutsAfter: [10, 30])
        nonisolated(unsafe) var looks: [Bool] = []
        source.afterPacket = { delivered in
            guard delivered % 10 == 0 else { return }
            let bytes = Array(FileManager.default.contents(atPath: live) ?? Data())
            looks.append(!bytes.isEmpty && WrittenCaptures.pcapngBlocks(bytes) != nil)
        }
        let sad = Analyzer.espDatabase(keySet)
        let ahSAD = Analyzer.ahDatabase(keySet)
        if threads == 1 {
            let analyzer = try Analyzer(
                sad: sad, ahSAD: ahSAD, ikeKeys: keySet.ikeSAs, options: options, output: StringSink())
            _ = analyzer.run(source)
        } else {
            let parallel = try ParallelAnalysis(
                reader: source, sad: sad, ahSAD: ahSAD, ikeKeys: keySet.ikeSAs, options: options, threads: threads,
                output: StringSink())
            _ = try parallel.run()
        }
        #expect(looks.count >= 3 && looks.allSatisfy { $0 }, "\(looks)")
        #expect(FileManager.default.contents(atPath: live) == FileManager.default.contents(atPath: file))
        #expect(try WrittenCaptures.packets(live).count == 24)
    }
}
