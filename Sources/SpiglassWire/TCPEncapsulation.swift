/// RFC 8229 (and RFC 9329) IKE and ESP over TCP: per TCP connection, the byte stream is
/// rebuilt from segments, the "IKETCP" prefix is skipped, and the stream is cut into
/// length-prefixed messages (IKE after a 4-byte zero non-ESP marker, otherwise ESP).
/// Bounded: connections, bytes held, and out-of-order segments per connection.
public final class TCPEncapsulation {
    public struct Limits: Sendable {
        public var maxConnections = 1024
        /// Bytes waiting for the rest of a message, per connection.
        public var maxBufferedBytes = 256 << 10
        /// Segments that arrived ahead of a gap, per connection.
        public var maxOutOfOrderSegments = 64
        public init() {}
    }

    /// One message found in the stream.
    public enum Message: Equatable {
        /// ESP packet bytes (SPI through ICV).
        case esp([UInt8])
        /// IKE message bytes (from the IKE header), after the non-ESP marker.
        case ike([UInt8])
    }

    public struct ConnectionKey: Hashable, Sendable {
        public var source: IPAddress
        public var sourcePort: UInt16
        public var destination: IPAddress
        public var destinationPort: UInt16

        public init(source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16) {
            self.source = source
            self.sourcePort = sourcePort
            self.destination = destination
            self.destinationPort = destinationPort
        }
    }

    struct Connection {
        var nextSequence: UInt32?
        var buffer: [UInt8] = []
        var checkedPrefix = false
        var outOfOrder: [(sequence: UInt32, bytes: [UInt8])] = []
        /// When the connection was last used, counted in segments (see `uses`).
        var lastUse: Int
    }

    /// "IKETCP", sent once by the initiator at the start of the stream (RFC 8229 3).
    static let prefix: [UInt8] = Array("IKETCP".utf8)

    public let limits: Limits
    private var connections: [ConnectionKey: Connection] = [:]
    public private(set) var problems: [String] = []
    /// Every use of a connection, oldest first from `usesHead` on: the least recently used
    /// connection is the first entry whose stamp is still its `lastUse` (older entries of a
    /// connection used again since, or gone, are skipped). Compacted when stale entries
    /// outnumber the connections: amortised O(1) per segment, where scanning the table for
    /// the oldest was O(connections).
    private var uses: [(key: ConnectionKey, stamp: Int)] = []
    private var usesHead = 0
    private var useCount = 0

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// The TCP header of a segment at `offset` in `bytes`, with the payload range, if sane.
    public struct Segment: Sendable {
        public var sourcePort: UInt16
        public var destinationPort: UInt16
        public var sequence: UInt32
        public var syn: Bool
        public var finOrReset: Bool
        public var payload: Range<Int>
    }

    /// The TCP segment that fills the reader (RFC 9293 3.1), or why it cannot be one; the
    /// reader is left at the payload.
    public static func segment(_ reader: inout ByteReader) -> Result<Segment, WireError> {
        let start = reader.offset
        var header = reader
        guard let sourcePort = header.readUInt16(), let destinationPort = header.readUInt16(),
            let sequence = header.readUInt32(),
            header.skip(4), let dataOffset = header.readUInt8(), let flags = header.readUInt8(), header.skip(6)
        else {
            return .failure(
                WireError(.truncated, layer: "TCP", offset: start, "\(reader.remaining) bytes, header needs 20"))
        }
        let headerLength = Int(dataOffset >> 4) * 4
        guard headerLength >= 20 else {
            return .failure(
                WireError(.badHeaderLength, layer: "TCP", offset: start, "header length \(headerLength) < 20"))
        }
        guard reader.skip(headerLength) else {
            return .failure(
                WireError(
                    .truncated, layer: "TCP", offset: start, "header of \(headerLength) bytes, \(reader.remaining) left"
                ))
        }
        return .success(
            Segment(
                sourcePort: sourcePort, destinationPort: destinationPort, sequence: sequence,
                syn: flags & 0x02 != 0, finOrReset: flags & 0x05 != 0, payload: reader.remainingRange))
    }

    /// Feeds one segment of the connection `key`; returns the messages it completed, in order.
    public func add(_ bytes: [UInt8], segment: Segment, key: ConnectionKey) -> [Message] {
        if connections[key] == nil {
            guard segment.syn || !segment.payload.isEmpty else { return [] }
            if connections.count >= limits.maxConnections, let oldest = leastRecentlyUsed() {
                connections[oldest] = nil
                note("more than \(limits.maxConnections) TCP connections: dropped the least recently used")
            }
            connections[key] = Connection(lastUse: 0)
        }
        guard var connection = connections[key] else { return [] }
        useCount += 1
        connection.lastUse = useCount
        uses.append((key, useCount))
        compactUses()
        if segment.syn {
            // The SYN takes one sequence number; data starts after it.
            connection.nextSequence = segment.sequence &+ 1
            connection.buffer.removeAll()
            connection.outOfOrder.removeAll()
            connection.checkedPrefix = false
        }
        var data = Array(bytes[segment.payload])
        var sequence = segment.sequence &+ (segment.syn ? 1 : 0)
        if connection.nextSequence == nil {
            // Joined mid-stream: assume a message starts here (checked below).
            connection.nextSequence = sequence
        }
        var messages: [Message] = []
        if !data.isEmpty {
            let expected = connection.nextSequence!
            let ahead = Int32(bitPattern: sequence &- expected)
            if ahead < 0 {
                // Retransmission, possibly with some new bytes at its end.
                let old = Int(-Int64(ahead))
                if old >= data.count {
                    data = []
                } else {
                    data.removeFirst(old)
                    sequence = expected
                }
            }
            if !data.isEmpty {
                if sequence == expected {
                    append(&connection, data)
                    drainOutOfOrder(&connection)
                } else if connection.outOfOrder.count < limits.maxOutOfOrderSegments {
                    connection.outOfOrder.append((sequence, data))
                } else {
                    note(
                        "TCP connection \(describe(key)): more than \(limits.maxOutOfOrderSegments) segments beyond a gap; resynchronising"
                    )
                    connection.buffer.removeAll()
                    connection.outOfOrder.removeAll()
                    connection.nextSequence = sequence &+ UInt32(truncatingIfNeeded: data.count)
                }
            }
            messages = extract(&connection, key: key)
        }
        if segment.finOrReset {
            connections[key] = nil
        } else {
            connections[key] = connection
        }
        return messages
    }

    private func leastRecentlyUsed() -> ConnectionKey? {
        while usesHead < uses.count {
            let (key, stamp) = uses[usesHead]
            usesHead += 1
            if connections[key]?.lastUse == stamp { return key }
        }
        return nil
    }

    private func compactUses() {
        if uses.count - usesHead > 2 * connections.count + 64 {
            uses = uses[usesHead...].filter { connections[$0.key]?.lastUse == $0.stamp }
            usesHead = 0
        } else if usesHead > 64 && usesHead > uses.count / 2 {
            uses.removeFirst(usesHead)
            usesHead = 0
        }
    }

    private func append(_ connection: inout Connection, _ data: [UInt8]) {
        connection.buffer.append(contentsOf: data)
        connection.nextSequence = connection.nextSequence! &+ UInt32(truncatingIfNeeded: data.count)
    }

    private func drainOutOfOrder(_ connection: inout Connection) {
        var progressed = true
        while progressed {
            progressed = false
            for (index, pending) in connection.outOfOrder.enumerated() {
                let offset = Int32(bitPattern: pending.sequence &- connection.nextSequence!)
                if offset > 0 { continue }
                connection.outOfOrder.remove(at: index)
                let old = Int(-Int64(offset))
                if old < pending.bytes.count { append(&connection, Array(pending.bytes[old...])) }
                progressed = true
                break
            }
        }
    }

    /// Cuts complete messages off the front of the connection's buffer.
    private func extract(_ connection: inout Connection, key: ConnectionKey) -> [Message] {
        var messages: [Message] = []
        var start = 0
        let buffer = connection.buffer
        if !connection.checkedPrefix && buffer.count >= TCPEncapsulation.prefix.count {
            connection.checkedPrefix = true
            if Array(buffer[0..<TCPEncapsulation.prefix.count]) == TCPEncapsulation.prefix {
                start = TCPEncapsulation.prefix.count
            }
        }
        while buffer.count - start >= 2 {
            let length = Int(buffer.be16(start))
            // The length counts its own two bytes; an ESP header alone is 8 more.
            guard length >= 2 + 8 else {
                note(
                    "TCP connection \(describe(key)): message length \(length) is too small; stream out of step, resynchronising"
                )
                connection.buffer.removeAll()
                return messages
            }
            guard buffer.count - start >= length else { break }
            let body = Array(buffer[(start + 2)..<(start + length)])
            if body.count >= 4 && body[0] == 0 && body[1] == 0 && body[2] == 0 && body[3] == 0 {
                messages.append(.ike(Array(body[4...])))
            } else {
                messages.append(.esp(body))
            }
            start += length
        }
        if start > 0 { connection.buffer.removeFirst(start) }
        if connection.buffer.count > limits.maxBufferedBytes {
            note(
                "TCP connection \(describe(key)): more than \(limits.maxBufferedBytes) bytes without a complete message; dropped"
            )
            connection.buffer.removeAll()
        }
        return messages
    }

    private func describe(_ key: ConnectionKey) -> String {
        "\(key.source):\(key.sourcePort) → \(key.destination):\(key.destinationPort)"
    }

    private func note(_ message: String) {
        if problems.count < 100 { problems.append(message) }
    }

    /// Problems noted since the last call, for diagnostics.
    public func takeProblems() -> [String] {
        defer { problems.removeAll() }
        return problems
    }
}
