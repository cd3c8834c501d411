/// Something the reconstruction says once per run, for the run's warnings: a bound hit, key sets
/// that cannot be used, fragments dropped. SpiglassAnalysis words it.
public enum IKEDiagnostic: Sendable, Hashable {
    case tooManyIKESAs(limit: Int)
    case tooManyChildSAs(limit: Int)
    case tooManyExchanges(limit: Int)
    case tooManyExchangesOnIKESA(IKESPIPair, limit: Int)
    /// IKEv1 checks both bounds at once.
    case tooManyV1Exchanges(perIKESA: Int, total: Int)
    /// Message records over `count` or `mebibytes` are not kept for the summary.
    case tooManyMessagesKept(count: Int, mebibytes: Int)
    case fragmentsNeverCompleted(Int)
    case fragmentDropped(IKEFragmentDrop)
    case v1FragmentNumberOutOfRange(UInt8)
    case v1FragmentSetsDropped(limit: Int)
    case v1FragmentBytesDropped(mebibytes: Int)
    case v1ReassemblyNotISAKMP(frames: [Int])
    case keysUnusable(IKEKeysUnusable)
    /// Key sets without SPIs were tried on IKE SAs this many times, and no more.
    case bindingStopped(attempts: Int)
}

/// Why an RFC 7383 fragment was not kept for reassembly.
public enum IKEFragmentDrop: Sendable, Hashable {
    case outOfRange(number: Int, total: Int)
    case tooManyFragments(total: Int, limit: Int)
    case overBudget(bytes: Int, limit: Int)
}
