import Glibc

/// -w records written straight from the buffers they were prepared in: a parallel run's workers
/// prepare them (`PcapWriter.appendRecord`, `PcapngBlock.appendPacket`), and whoever merges
/// their output gathers the pieces in file order here, then writes them with one `writev` per
/// `OutputFile.maxVectors` pieces. The bytes are copied once, by the system into the file,
/// rather than first into the writer's staging buffer.
///
/// A piece names its buffer by a number, its place in the list `write` is given (the buffers
/// must not change until then); the bytes the writer adds itself, a pcapng packet's interface
/// number and the description of a new interface, lie in `extras`, which comes after them.
public final class GatheredRecords {
    private struct Piece {
        var source: Int
        var start: Int
        var count: Int
    }

    // One thread at a time (the holder of a parallel run's merging turn).
    @exclusivity(unchecked) private var pieces: [Piece] = []
    @exclusivity(unchecked) private var extras: [UInt8] = []
    @exclusivity(unchecked) private var vectors: [iovec] = []
    @exclusivity(unchecked) private var records = 0
    @exclusivity(unchecked) private var bytes = 0

    public init() {
        pieces.reserveCapacity(OutputFile.maxVectors)
        vectors.reserveCapacity(OutputFile.maxVectors)
    }

    public var isEmpty: Bool { pieces.isEmpty }

    /// Full: `write` before adding more (a pcapng packet takes up to four pieces).
    public var isFull: Bool { pieces.count > OutputFile.maxVectors - 4 }

    /// Adds `count` pcap records, bytes `range` of source `source`.
    public func addRecords(range: Range<Int>, count: Int, source: Int) {
        add(source: source, range: range)
        records += count
    }

    /// Adds the blocks in bytes `range` of `buffer`, source `source` (`count` of them packets),
    /// as `PcapngWriter.writeBlocks` would write them: each Enhanced Packet Block with the
    /// number of its link type's interface in place of the type, after the description of an
    /// interface that is new.
    public func addBlocks(_ buffer: [UInt8], range: Range<Int>, count: Int, source: Int, writer: PcapngWriter) {
        guard range.lowerBound >= 0, range.upperBound <= buffer.count else { return }
        buffer.withUnsafeBytes { raw in
            PcapngBlock.forEachBlock(in: raw, range: range) { offset, total, type in
                if type == PcapngBlock.enhancedPacketType && total >= 28 {
                    let field = offset + PcapngBlock.interfaceFieldOffset
                    let dlt = Int32(bitPattern: PcapngBlock.field32(raw, field))
                    let described = extras.count
                    let number = writer.interface(dlt: dlt, describingNewInto: &extras)
                    if extras.count > described { add(source: Self.extrasSource, range: described..<extras.count) }
                    add(source: source, range: offset..<field)
                    let at = extras.count
                    withUnsafeBytes(of: number) { extras.append(contentsOf: $0) }
                    add(source: Self.extrasSource, range: at..<extras.count)
                    add(source: source, range: field + 4..<offset + total)
                } else {
                    add(source: source, range: offset..<offset + total)
                }
            }
        }
        records += count
    }

    /// Stands for `extras` until `write` numbers it after the sources.
    private static let extrasSource = -1

    /// One more piece, or a longer last piece when the bytes follow on from it.
    private func add(source: Int, range: Range<Int>) {
        guard !range.isEmpty else { return }
        bytes += range.count
        if let last = pieces.last, last.source == source, last.start + last.count == range.lowerBound {
            pieces[pieces.count - 1].count += range.count
        } else {
            pieces.append(Piece(source: source, start: range.lowerBound, count: range.count))
        }
    }

    /// Writes what was gathered to `pcap` or `pcapng` (`sources[i]` is the buffer of source
    /// i), then starts anew.
    public func write(sources: [[UInt8]], pcap: PcapWriter?, pcapng: PcapngWriter?) {
        guard !pieces.isEmpty else { return }
        var bases = [UnsafeRawPointer?](repeating: nil, count: sources.count + 1)
        Self.withBases(sources + [extras], &bases, from: 0) { bases in
            vectors.removeAll(keepingCapacity: true)
            for piece in pieces {
                let source = piece.source == Self.extrasSource ? sources.count : piece.source
                vectors.append(
                    iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: bases[source]! + piece.start), iov_len: piece.count)
                )
            }
            vectors.withUnsafeMutableBufferPointer { vectors in
                pcap?.writeRecords(vectors: vectors, count: records)
                pcapng?.writeBlocks(vectors: vectors, bytes: bytes, count: records)
            }
        }
        pieces.removeAll(keepingCapacity: true)
        extras.removeAll(keepingCapacity: true)
        records = 0
        bytes = 0
    }

    /// Calls `body` with the address of every buffer's bytes, valid throughout the call.
    private static func withBases(
        _ buffers: [[UInt8]], _ bases: inout [UnsafeRawPointer?], from index: Int,
        _ body: ([UnsafeRawPointer?]) -> Void
    ) {
        guard index < buffers.count else { return body(bases) }
        buffers[index].withUnsafeBytes { raw in
            bases[index] = raw.baseAddress
            withBases(buffers, &bases, from: index + 1, body)
        }
    }
}
