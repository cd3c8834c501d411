import SpiglassESP

/// Why an SA's ICVs fail, as the summary's findings tell it.
public enum ICVDiagnosisOutcome: Sendable, Equatable {
    /// A variant verifies: "ESN is off", "keys swapped between directions", ...
    case found(String)
    /// Every variant was tried and none verifies.
    case noVariantVerifies
    /// Never looked for: more SAs failed than a run diagnoses (`Analyzer.maxICVDiagnoses`).
    case notDiagnosed
}

/// The first failing packet of an SA, kept so that the diagnosis can be made once the run knows
/// which SAs it diagnoses: the first `Analyzer.maxICVDiagnoses` to fail, in frame order, over the
/// whole run (all workers of a parallel one), so that the bound holds per run and the answer
/// does not depend on the thread count.
struct ICVFailureSample {
    var frame: Int
    /// The ESP packet (SPI through ICV).
    var packet: [UInt8]
    var sequenceHigh: UInt32
}

extension Analyzer {
    /// A run diagnoses at most this many SAs (each trying up to `maxDiagnosisCandidates` other
    /// SAs' keys); the failures of the others are reported as not diagnosed.
    static let maxICVDiagnoses = 1024

    static func icvBoundMessage() -> String {
        "ICV failures on more than \(maxICVDiagnoses) SAs: the causes of the others are not looked for"
    }

    /// Keeps the first failing packet of SA `saIndex` (once per SA, at most `maxICVDiagnoses`
    /// of them: no more can be among the run's first). Past that, notes where the bound was
    /// first passed.
    func recordICVFailure(saIndex: Int, _ bytes: [UInt8], esp: Range<Int>, sequenceHigh: UInt32) {
        guard icvFailureSamples[saIndex] == nil else { return }
        guard icvFailureSamples.count < Analyzer.maxICVDiagnoses else {
            if icvBoundPassedAt == nil {
                icvBoundPassedAt = summary.frames
                // A parallel run raises it where the whole run passed the bound (`resolveICVDiagnoses`).
                if shard == nil { diagnose(Analyzer.icvBoundMessage()) }
            }
            return
        }
        icvFailureSamples[saIndex] = ICVFailureSample(frame: summary.frames, packet: Array(bytes[esp]), sequenceHigh: sequenceHigh)
    }

    /// Diagnoses the first `maxICVDiagnoses` SAs to fail over `analyzers` (one, or every worker
    /// of a parallel run, whose SA databases hold the same SAs at the same indices), each with
    /// the analyzer that kept its packet, and gives each of `flows` its SA's outcome. Returns the
    /// outcomes by SA, and the frame where the bound was passed (nil when it was not).
    static func resolveICVDiagnoses(_ analyzers: [Analyzer], flows: inout [FlowStatistics]) -> (outcomes: [Int: ICVDiagnosisOutcome], passedAt: Int?) {
        var firsts: [Int: (frame: Int, analyzer: Int)] = [:]
        var passed: [Int] = []
        for (number, analyzer) in analyzers.enumerated() {
            for (saIndex, sample) in analyzer.icvFailureSamples where (firsts[saIndex]?.frame ?? .max) > sample.frame {
                firsts[saIndex] = (sample.frame, number)
            }
            if let frame = analyzer.icvBoundPassedAt { passed.append(frame) }
        }
        let ordered = firsts.sorted { ($0.value.frame, $0.key) < ($1.value.frame, $1.key) }
        var outcomes: [Int: ICVDiagnosisOutcome] = [:]
        for (rank, (saIndex, first)) in ordered.enumerated() {
            guard rank < maxICVDiagnoses else {
                outcomes[saIndex] = .notDiagnosed
                passed.append(first.frame)
                continue
            }
            let analyzer = analyzers[first.analyzer]
            let sample = analyzer.icvFailureSamples[saIndex]!
            guard let state = analyzer.cryptoState(saIndex) else { continue }
            let found = ICVFailureDiagnosis.diagnose(
                sample.packet, esp: 0..<sample.packet.count, sa: state.sa, sequenceHigh: sample.sequenceHigh,
                otherCount: min(analyzer.sad.count, maxDiagnosisCandidates), otherState: { analyzer.cryptoState($0, candidate: true) })
            outcomes[saIndex] = found.map(ICVDiagnosisOutcome.found) ?? .noVariantVerifies
        }
        for index in flows.indices where flows[index].icvDiagnosed {
            // A flow of an SA no analyzer kept a packet of failed past the bound.
            flows[index].icvDiagnosis = flows[index].saIndex.flatMap { outcomes[$0] } ?? .notDiagnosed
        }
        return (outcomes, passed.min())
    }
}
