import SpiglassWire

/// ISAKMP fragments (Cisco/strongSwan fragmentation, payload 132) waiting for the rest of
/// their message: each carries a piece of the whole, already encrypted, message; the one
/// flagged last completes it. Bounded in sets and bytes; the oldest set goes first.
struct IKEv1FragmentStore {
    private var sets: [V1FragmentKey: V1FragmentSet] = [:]
    private var arrivals = 0
    /// Bytes of fragments held.
    private(set) var bytes = 0

    /// What adding a fragment gave: the whole message when it completed one, and the
    /// problems met on the way (for the run's diagnostics).
    struct Added {
        var whole: (bytes: [UInt8], frames: [Int])?
        var problems: [IKEDiagnostic] = []
    }

    mutating func add(_ fragment: IKEv1Fragment, key: V1FragmentKey, frame: Int) -> Added {
        var added = Added()
        guard fragment.number >= 1, Int(fragment.number) <= IKEReconstruction.maxV1FragmentsPerMessage else {
            added.problems.append(.v1FragmentNumberOutOfRange(fragment.number))
            return added
        }
        if sets[key] == nil {
            if sets.count >= IKEReconstruction.maxPendingV1Fragments {
                let why = IKEDiagnostic.v1FragmentSetsDropped(limit: IKEReconstruction.maxPendingV1Fragments)
                if dropOldest() { added.problems.append(why) }
            }
            arrivals += 1
            sets[key] = V1FragmentSet(order: arrivals)
        }
        guard fragment.data.count <= 65_535 else { return added }
        while bytes + fragment.data.count > IKEReconstruction.maxV1FragmentBytes && sets.count > 1 {
            let why = IKEDiagnostic.v1FragmentBytesDropped(mebibytes: IKEReconstruction.maxV1FragmentBytes >> 20)
            if dropOldest(keeping: key) { added.problems.append(why) }
        }
        if let old = sets[key]?.pieces[fragment.number] {
            bytes -= old.data.count
            sets[key]?.bytes -= old.data.count
        }
        bytes += fragment.data.count
        sets[key]?.bytes += fragment.data.count
        sets[key]?.pieces[fragment.number] = (frame, fragment.data)
        if fragment.flags & 0x01 != 0 { sets[key]?.last = fragment.number }
        guard let set = sets[key], let last = set.last else { return added }
        let pieces = (1...last).compactMap { set.pieces[$0] }
        guard pieces.count == Int(last) else { return added }
        sets[key] = nil
        bytes -= set.bytes
        added.whole = (pieces.flatMap(\.data), pieces.map(\.frame))
        return added
    }

    /// Drops the oldest set but `kept`; false when there was none to drop.
    private mutating func dropOldest(keeping kept: V1FragmentKey? = nil) -> Bool {
        let others = sets.filter { $0.key != kept }
        guard let oldest = others.min(by: { $0.value.order < $1.value.order }) else { return false }
        bytes -= oldest.value.bytes
        sets[oldest.key] = nil
        return true
    }
}

/// The fragments of one message: its sender, its initiator cookie and the fragment ID.
struct V1FragmentKey: Hashable {
    var initiatorCookie: UInt64
    var source: IPAddress
    var sourcePort: UInt16
    var id: UInt16
}

struct V1FragmentSet {
    var order: Int
    var bytes = 0
    var pieces: [UInt8: (frame: Int, data: [UInt8])] = [:]
    var last: UInt8?
}
