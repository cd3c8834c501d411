/// The ESP and AH flows of a run in the order they were first seen, found by key. Most packets
/// belong to a flow seen a moment ago: a small table indexed by SPI bits, checked against the
/// flow's own key (so it can never answer wrongly), spares hashing the key.
struct FlowTable {
    var flows: [FlowStatistics] = []
    private var index: [FlowKey: Int] = [:]
    /// Indices into `flows` of recently seen flows, by SPI bits (-1: empty).
    private var recent = [Int](repeating: -1, count: FlowTable.recentSlots)
    static let recentSlots = 256
    /// Packets of flows past the tracking limit, counted together.
    var untrackedPackets = 0

    var count: Int { flows.count }

    private static func slot(_ key: FlowKey) -> Int {
        Int(truncatingIfNeeded: key.spi.rawValue ^ (key.spi.rawValue >> 8)) & (recentSlots - 1)
    }

    /// The index of `key`'s flow, or nil when it has not been seen.
    @inline(__always)
    mutating func find(_ key: FlowKey) -> Int? {
        let slot = FlowTable.slot(key)
        let recent = self.recent[slot]
        if recent >= 0, recent < flows.count, flows[recent].key == key { return recent }
        guard let found = index[key] else { return nil }
        self.recent[slot] = found
        return found
    }

    /// Adds a flow not seen before; returns its index.
    mutating func add(_ flow: FlowStatistics) -> Int {
        flows.append(flow)
        let number = flows.count - 1
        index[flow.key] = number
        recent[FlowTable.slot(flow.key)] = number
        return number
    }

    /// Replaces the flows (a parallel run's, merged): the index is made anew.
    mutating func replace(with merged: [FlowStatistics], untrackedPackets: Int) {
        flows = merged
        index = Dictionary(merged.indices.map { (merged[$0].key, $0) }, uniquingKeysWith: { first, _ in first })
        recent = [Int](repeating: -1, count: FlowTable.recentSlots)
        self.untrackedPackets = untrackedPackets
    }
}
