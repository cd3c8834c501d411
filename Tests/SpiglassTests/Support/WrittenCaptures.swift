import Foundation
import SpiglassCapture
import SpiglassWire

/// Reading back what -w wrote: with libpcap (our reader), and with tshark.
enum WrittenCaptures {
    struct Packet: Equatable {
        var time: Timestamp
        var bytes: [UInt8]
    }

    /// Every packet of `path`, through libpcap.
    static func packets(_ path: String) throws -> [Packet] {
        let reader = try CaptureReader(path: path)
        var packets: [Packet] = []
        while case .packet(let header) = reader.next() {
            packets.append(Packet(time: header.timestamp, bytes: Array(reader.buffer[0..<header.capturedLength])))
        }
        return packets
    }

    /// Runs tshark with `arguments`; its standard output, and its exit status.
    static func run(_ arguments: [String]) throws -> (output: String, status: Int32) {
        try Tshark.run(arguments)
    }

    /// tshark's values of `fields` for each frame of `path`, tab-separated columns.
    static func fields(_ path: String, _ fields: [String], options: [String] = []) throws -> [[String]] {
        var arguments = ["-r", path, "-n"] + options + ["-T", "fields", "-E", "separator=/t"]
        for field in fields { arguments += ["-e", field] }
        let (output, status) = try run(arguments)
        guard status == 0 else { throw Tshark.TsharkError(message: "tshark exited with \(status) on \(path)") }
        return output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// The block types and lengths of a pcapng file in host byte order, walked from its start;
    /// nil when a block overruns the file (a half-written block).
    static func pcapngBlocks(_ bytes: [UInt8]) -> [(type: UInt32, length: Int)]? {
        var blocks: [(type: UInt32, length: Int)] = []
        var offset = 0
        func field(_ at: Int) -> UInt32 {
            bytes[at..<at + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        }
        while offset < bytes.count {
            guard offset + 12 <= bytes.count else { return nil }
            let length = Int(field(offset + 4))
            guard length >= 12, length % 4 == 0, offset + length <= bytes.count,
                field(offset + length - 4) == UInt32(length)
            else { return nil }
            blocks.append((field(offset), length))
            offset += length
        }
        return blocks
    }
}
