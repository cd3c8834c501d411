import SpiglassIKE

/// The words for what the IKE reconstruction says once per run (`IKEDiagnostic`), as the run's
/// warnings show them.
enum IKEDiagnosticText {
    static func text(_ diagnostic: IKEDiagnostic) -> String {
        switch diagnostic {
        case .tooManyIKESAs(let limit):
            return "more than \(limit) IKE SAs: messages of further ones are reported but not tracked"
        case .tooManyChildSAs(let limit): return "more than \(limit) CHILD_SAs: later ones are not tracked"
        case .tooManyExchanges(let limit): return "more than \(limit) IKE exchanges: later ones are not kept"
        case .tooManyExchangesOnIKESA(let spis, let limit):
            return "IKE SA \(spis): more than \(limit) exchanges; later ones are not kept"
        case .tooManyV1Exchanges(let perIKESA, let total):
            return "more than \(perIKESA) exchanges on an IKE SA or \(total) in all: later ones are not kept"
        case .tooManyMessagesKept(let count, let mebibytes):
            return
                "more than \(count) IKE messages or \(mebibytes) MiB of them: later ones are reported but not kept for the summary"
        case .fragmentsNeverCompleted(let count): return "\(count) fragmented IKE message(s) never completed"
        case .fragmentDropped(let drop): return "IKE fragment dropped: \(words(drop))"
        case .v1FragmentNumberOutOfRange(let number): return "ISAKMP fragment number \(number) out of range; dropped"
        case .v1FragmentSetsDropped(let limit):
            return "more than \(limit) ISAKMP fragment sets pending: the oldest dropped"
        case .v1FragmentBytesDropped(let mebibytes):
            return "ISAKMP fragments over \(mebibytes) MiB pending: the oldest set dropped"
        case .v1ReassemblyNotISAKMP(let frames):
            return "reassembled ISAKMP fragments (frames \(frames)) do not form an ISAKMP message"
        case .keysUnusable(let why): return IKEProtectionErrorText.keysUnusable(why)
        case .bindingStopped(let attempts):
            return "IKE keys without SPIs: stopped trying them on IKE SAs after \(attempts) attempts"
        }
    }

    private static func words(_ drop: IKEFragmentDrop) -> String {
        switch drop {
        case .outOfRange(let number, let total): return "fragment \(number) of \(total) is out of range"
        case .tooManyFragments(let total, let limit):
            return "\(total) fragments announced, more than the \(limit) kept per message"
        case .overBudget(let bytes, let limit):
            return "fragment of \(bytes) bytes exceeds the \(limit)-byte reassembly budget"
        }
    }
}
