/// The frames of one or more capture files (or of one interface) as one stream, in timestamp
/// order: what rotated captures (`tcpdump -C/-W/-G`, `dumpcap -b`) or captures taken at several
/// points need. Files are ordered by their first timestamp (then as given), and the stream
/// takes the earliest head among the open files each time, so the frames of one file keep their
/// order and files that overlap in time are interleaved as mergecap does. A file is opened only
/// once the stream reaches its first timestamp, so a rotation of hundreds of files holds one
/// or two open at a time. Each file keeps its own link type: every header says which file the
/// frame came from (`PacketHeader.source`) and its number there.
public final class CaptureStream {
    /// One input of the stream.
    public struct Source: Sendable {
        /// As given (after glob expansion), "-" for standard input, or the interface name.
        public let path: String
        /// libpcap's DLT_ value for the file's link type, and its name.
        public let linkType: Int32
        public let linkTypeName: String
        /// The first frame's time, nil for an empty file (or a live capture).
        public let firstTime: Timestamp?
        public let fileSize: Int64?
        /// How finely the input counts time (`CaptureReader.timestampResolution`).
        public var timestampResolution = TimestampResolution.microseconds
    }

    /// The inputs in stream order (`PacketHeader.source` indexes this).
    public let sources: [Source]
    /// True for a live capture (one interface).
    public let isLive: Bool
    /// A warning libpcap gave when a live capture started.
    public var warning: String? { readers.first??.warning }
    /// Sum of the files' sizes, when all are regular files.
    public let fileSize: Int64?

    // The state below is read and written for every frame by the one thread that reads the
    // stream, never through overlapping accesses: dynamic exclusivity checks on it would cost
    // more than the merge itself, so they are off for these properties (as in Analyzer).
    @exclusivity(unchecked) private var readers: [CaptureReader?]
    /// The reader of a stream of one input: read straight through, with no merging to do.
    private let only: CaptureReader?
    private let filter: String?
    /// The next source not yet opened (sources open in order of their first timestamp).
    @exclusivity(unchecked) private var nextToOpen = 0
    /// Head packet of each open source: read, not yet handed out.
    @exclusivity(unchecked) private var heads: [PacketHeader?]
    /// Frames handed out per source.
    @exclusivity(unchecked) private var counts: [Int]
    /// Bytes of the sources that have ended.
    private var finishedBytes: Int64 = 0
    /// The source whose packet was handed out last (its reader's buffer holds it).
    @exclusivity(unchecked) private var current = -1
    /// Sources that ended in damage, or that libpcap could not read further: handed out once each.
    @exclusivity(unchecked) private var pendingDamage: [(source: Int, damage: CaptureDamage)] = []

    /// Opens the files at `paths` (pcap or pcapng; "-" alone reads standard input), each
    /// with `filter` when given. Fails on the first file that cannot be read.
    public init(paths: [String], filter: String? = nil) throws {
        guard !paths.isEmpty else { throw CaptureError(.cannotOpen, "no capture file given") }
        if paths.count > 1, paths.contains("-") {
            throw CaptureError(.cannotOpen, "standard input ('-r -') cannot be read together with other capture files")
        }
        self.filter = filter
        self.isLive = false
        if paths.count == 1 {
            // Nothing to merge (and standard input can be read once only): no peek.
            let reader = try CaptureReader(path: paths[0])
            if let filter { try reader.setFilter(filter) }
            sources = [
                Source(
                    path: paths[0], linkType: reader.linkType, linkTypeName: reader.linkTypeName, firstTime: nil,
                    fileSize: reader.fileSize, timestampResolution: reader.timestampResolution)
            ]
            readers = [reader]
            only = reader
            nextToOpen = 1
            fileSize = reader.fileSize
            heads = [nil]
            counts = [0]
            return
        }
        only = nil
        var found: [(index: Int, source: Source)] = []
        for (index, path) in paths.enumerated() {
            let peek = try CaptureReader(path: path, readBufferSize: 1 << 16)
            // The filter is checked here, once per file: it compiles per link type.
            if let filter { try peek.setFilter(filter) }
            var first: Timestamp? = nil
            if case .packet(let header) = peek.next() { first = header.timestamp }
            found.append(
                (
                    index,
                    Source(
                        path: path, linkType: peek.linkType, linkTypeName: peek.linkTypeName, firstTime: first,
                        fileSize: peek.fileSize, timestampResolution: peek.timestampResolution)
                ))
        }
        // By first frame, files without frames last; ties as given.
        found.sort { a, b in
            switch (a.source.firstTime, b.source.firstTime) {
            case (let x?, let y?): return x != y ? x < y : a.index < b.index
            case (nil, nil): return a.index < b.index
            case (nil, _): return false
            case (_, nil): return true
            }
        }
        sources = found.map(\.source)
        readers = [CaptureReader?](repeating: nil, count: sources.count)
        heads = [PacketHeader?](repeating: nil, count: sources.count)
        counts = [Int](repeating: 0, count: sources.count)
        var total: Int64 = 0
        var known = true
        for source in sources {
            if let size = source.fileSize { total += size } else { known = false }
        }
        fileSize = known ? total : nil
    }

    /// A stream of one reader already open: a live capture, or a file opened by the caller.
    public init(reader: CaptureReader, path: String) {
        sources = [
            Source(
                path: path, linkType: reader.linkType, linkTypeName: reader.linkTypeName, firstTime: nil,
                fileSize: reader.fileSize, timestampResolution: reader.timestampResolution)
        ]
        readers = [reader]
        only = reader
        isLive = reader.isLive
        fileSize = reader.fileSize
        filter = nil
        nextToOpen = 1
        heads = [nil]
        counts = [0]
    }

    /// The bytes of the packet last returned by `next()`; `capturedLength` of them are valid.
    public var buffer: [UInt8] {
        if let only { return only.buffer }
        guard current >= 0, let reader = readers[current] else { return [] }
        return reader.buffer
    }

    /// Bytes of the files consumed so far, for progress reports.
    public var bytePosition: Int64? {
        guard fileSize != nil else { return nil }
        var position = finishedBytes
        for reader in readers { if let reader, let at = reader.bytePosition { position += at } }
        return position
    }

    /// libpcap's counters, for a live capture.
    public func statistics() -> (received: UInt32, dropped: UInt32, interfaceDropped: UInt32)? {
        guard isLive, let reader = readers.first ?? nil else { return nil }
        return reader.statistics()
    }

    /// The next frame in timestamp order, its header naming its source and its number there.
    /// A source that ends in damage gives `.damaged` once (its frames before the damage have
    /// been handed out) and the stream goes on with the others; `.end` comes when every source
    /// has ended.
    public func next() -> CaptureReader.Next {
        if only != nil { return nextFromOnly() }
        // The frame handed out last is spent: read its source's next one.
        if current >= 0 {
            let spent = current
            current = -1
            prime(spent)
        }
        if !pendingDamage.isEmpty {
            return takePendingDamage()
        }
        var best = -1
        var bestTime: Timestamp? = nil
        for index in 0..<nextToOpen {
            guard let head = heads[index] else { continue }
            if bestTime.map({ head.timestamp < $0 }) ?? true {
                best = index
                bestTime = head.timestamp
            }
        }
        // Open every file that starts no later than the best head (or the next one, when none
        // is open), so that none of its frames is passed over.
        while nextToOpen < sources.count {
            if let bestTime, let start = sources[nextToOpen].firstTime, bestTime < start { break }
            let index = nextToOpen
            nextToOpen += 1
            do {
                let reader = try CaptureReader(path: sources[index].path)
                if let filter { try reader.setFilter(filter) }
                readers[index] = reader
            } catch {
                // It opened a moment ago: it was removed or changed since.
                return .damaged(placed(CaptureDamage(.reported("\(error)")), in: index))
            }
            prime(index)
            if !pendingDamage.isEmpty {
                return takePendingDamage()
            }
            if let head = heads[index], bestTime.map({ head.timestamp < $0 }) ?? true {
                best = index
                bestTime = head.timestamp
            }
        }
        guard best >= 0, let header = heads[best] else { return .end }
        heads[best] = nil
        current = best
        return .packet(header)
    }

    /// A stream of one input (a file, standard input or an interface): the reader's results as
    /// they come, numbered.
    private func nextFromOnly() -> CaptureReader.Next {
        guard let reader = only else { return .end }
        let result = reader.next()
        if case .packet(var header) = result {
            counts[0] += 1
            header.source = 0
            header.sourceFrame = counts[0]
            return .packet(header)
        }
        return result
    }

    /// Reads the next packet of source `index` into its head (its reader's buffer holds it);
    /// closes the source when it ends.
    private func prime(_ index: Int) {
        guard let reader = readers[index] else { return }
        switch reader.next() {
        case .packet(var header):
            counts[index] += 1
            header.source = index
            header.sourceFrame = counts[index]
            heads[index] = header
        case .damaged(let damage):
            pendingDamage.append((index, damage))
            close(index)
        case .end, .timeout, .interrupted:
            close(index)
        }
    }

    private func takePendingDamage() -> CaptureReader.Next {
        let pending = pendingDamage.removeFirst()
        return .damaged(placed(pending.damage, in: pending.source))
    }

    private func close(_ index: Int) {
        heads[index] = nil
        if let size = readers[index]?.fileSize { finishedBytes += size }
        readers[index] = nil
    }

    /// The damage of source `index` as it is; with several sources, which file and how far it was read.
    private func placed(_ damage: CaptureDamage, in index: Int) -> CaptureDamage {
        guard sources.count > 1 else { return damage }
        var placed = damage
        placed.file = CaptureDamage.File(path: sources[index].path, frames: counts[index])
        return placed
    }

    /// Frames handed out from source `index` so far.
    public func frameCount(source index: Int) -> Int { counts[index] }
}
