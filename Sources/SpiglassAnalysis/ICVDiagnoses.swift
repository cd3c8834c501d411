import SpiglassESP

/// Why an SA's ICVs fail, as the summary's findings tell it.
public enum ICVDiagnosisOutcome: Sendable, Equatable {
    /// A variant verifies ("ESN is off", "keys swapped between directions", ...), or the payload
    /// is plaintext under a key whose integrity key must then be the wrong one.
    case found(ICVFailureDiagnosis.Cause)
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
    /// What a transport-mode payload's checksums cover (`PlaintextCheck`).
    var transport: PlaintextCheck.Transport
}

/// What the ICV-failure diagnoses of a run need until they are made at its end, and then
/// their outcomes.
struct ICVDiagnosisState {
    /// The first failing packet of each SA, by SA index.
    var icvFailures: [Int: ICVFailureSample] = [:]
    /// The first packet of each SA that verified but decrypted to garbage (see
    /// `ICVFailureDiagnosis.diagnoseGarbled`).
    var garbled: [Int: ICVFailureSample] = [:]
    /// The frame where an SA failed with `maxICVDiagnoses` samples kept already.
    var boundPassedAt: Int? = nil
    /// The diagnosis of each SA whose ICVs failed, made when the run finishes. One per SA,
    /// whichever of its flows failed first: the keys tried are the SA's.
    var outcomes: [Int: ICVDiagnosisOutcome] = [:]

    func samples(_ kind: DiagnosisSampleKind) -> [Int: ICVFailureSample] {
        switch kind {
        case .icvFailure: icvFailures
        case .garbled: garbled
        }
    }
}

extension Analyzer {
    /// A run diagnoses at most this many SAs (each trying up to `maxDiagnosisCandidates` other
    /// SAs' keys); the failures of the others are reported as not diagnosed.
    static let maxICVDiagnoses = 1024

    /// Keeps the first packet of SA `saIndex` that failed (or, for `.garbled`, that verified
    /// but decrypted to garbage), once per SA and kind, at most `maxICVDiagnoses` of each: no
    /// more can be among the run's first. Past that, notes where the bound was first passed.
    func keepSample(
        _ kind: DiagnosisSampleKind, saIndex: Int, _ bytes: [UInt8], esp: Range<Int>, sequenceHigh: UInt32,
        transport: PlaintextCheck.Transport
    ) {
        guard icvState.samples(kind)[saIndex] == nil else { return }
        guard icvState.samples(kind).count < Analyzer.maxICVDiagnoses else {
            if icvState.boundPassedAt == nil {
                icvState.boundPassedAt = summary.frames
                // A parallel run raises it where the whole run passed the bound (`resolveICVDiagnoses`).
                if ownership.diagnosesForTheRun { diagnose(.icvDiagnosisBound) }
            }
            return
        }
        let sample = ICVFailureSample(
            frame: summary.frames, packet: Array(bytes[esp]), sequenceHigh: sequenceHigh, transport: transport)
        switch kind {
        case .icvFailure: icvState.icvFailures[saIndex] = sample
        case .garbled: icvState.garbled[saIndex] = sample
        }
    }

    /// Diagnoses the first `maxICVDiagnoses` SAs to fail (an ICV failure or a garbled packet, in
    /// frame order) over `analyzers` (one, or every worker of a parallel run, whose SA databases
    /// hold the same SAs at the same indices), each with the analyzer that kept its packet, and
    /// gives each of `flows` its SA's outcomes. Returns the ICV outcomes by SA, and the frame where
    /// the bound was passed (nil when it was not).
    static func resolveICVDiagnoses(_ analyzers: [Analyzer], flows: inout [FlowStatistics]) -> (
        outcomes: [Int: ICVDiagnosisOutcome], passedAt: Int?
    ) {
        enum Kind: Int { case icvFailure, garbled }
        struct Key: Hashable {
            var kind: Kind
            var saIndex: Int
        }
        var firsts: [Key: (frame: Int, analyzer: Int)] = [:]
        var passed: [Int] = []
        for (number, analyzer) in analyzers.enumerated() {
            for (kind, samples) in [
                (Kind.icvFailure, analyzer.icvState.icvFailures), (.garbled, analyzer.icvState.garbled),
            ] {
                for (saIndex, sample) in samples
                where (firsts[Key(kind: kind, saIndex: saIndex)]?.frame ?? .max) > sample.frame {
                    firsts[Key(kind: kind, saIndex: saIndex)] = (sample.frame, number)
                }
            }
            if let frame = analyzer.icvState.boundPassedAt { passed.append(frame) }
        }
        let ordered = firsts.sorted {
            ($0.value.frame, $0.key.kind.rawValue, $0.key.saIndex) < (
                $1.value.frame, $1.key.kind.rawValue, $1.key.saIndex
            )
        }
        var outcomes: [Int: ICVDiagnosisOutcome] = [:]
        var garbled: [Int: String] = [:]
        for (rank, (key, first)) in ordered.enumerated() {
            guard rank < maxICVDiagnoses else {
                if key.kind == .icvFailure { outcomes[key.saIndex] = .notDiagnosed }
                passed.append(first.frame)
                continue
            }
            let analyzer = analyzers[first.analyzer]
            let samples = key.kind == .icvFailure ? analyzer.icvState.icvFailures : analyzer.icvState.garbled
            guard let sample = samples[key.saIndex], let state = analyzer.cryptoState(key.saIndex) else { continue }
            let candidates = min(analyzer.sad.count, maxDiagnosisCandidates)
            switch key.kind {
            case .icvFailure:
                let cause = ICVFailureDiagnosis.diagnose(
                    sample.packet, esp: 0..<sample.packet.count, sa: state.sa, sequenceHigh: sample.sequenceHigh,
                    transport: sample.transport, ownState: state,
                    otherCount: candidates, otherState: { analyzer.cryptoState($0, candidate: true) })
                outcomes[key.saIndex] = cause.map(ICVDiagnosisOutcome.found) ?? .noVariantVerifies
            case .garbled:
                garbled[key.saIndex] = ICVFailureDiagnosis.diagnoseGarbled(
                    sample.packet, esp: 0..<sample.packet.count, sa: state.sa, sequenceHigh: sample.sequenceHigh,
                    transport: sample.transport, otherCount: candidates,
                    otherState: { analyzer.cryptoState($0, candidate: true) })
            }
        }
        for index in flows.indices {
            // A flow of an SA no analyzer kept a packet of failed past the bound.
            if flows[index].icvDiagnosed {
                flows[index].icvDiagnosis = flows[index].saIndex.flatMap { outcomes[$0] } ?? .notDiagnosed
            }
            if flows[index].garbledDiagnosed {
                flows[index].garbledDiagnosis = flows[index].saIndex.flatMap { garbled[$0] }
            }
        }
        return (outcomes, passed.min())
    }
}
