internal import CPcap
import Glibc

/// Reads pcap and pcapng files (or standard input for "-") through libpcap, one packet at a
/// time with `pcap_next_ex`, copying each into a reused buffer so callers work on a safe array.
public final class CaptureReader {
    public enum Next {
        case packet(PacketHeader)
        case end
        /// The file ended in the middle of a record or is otherwise damaged.
        case damaged(String)
    }

    private let handle: OpaquePointer
    /// libpcap's link-layer type (a DLT_ value), as libpcap maps it from the file's LINKTYPE.
    public let linkType: Int32
    public let linkTypeName: String
    /// Size of the input file in bytes when known (not for a pipe).
    public let fileSize: Int64?
    /// The bytes of the last packet read; only `header.capturedLength` of them are valid.
    public private(set) var buffer: [UInt8]

    public init(path: String) throws {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let opened = errorBuffer.withUnsafeMutableBufferPointer { pcap_open_offline(path, $0.baseAddress) }
        guard let handle = opened else {
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CaptureError(.cannotOpen, "cannot read capture '\(path)': \(message)")
        }
        self.handle = handle
        self.linkType = pcap_datalink(handle)
        if let name = pcap_datalink_val_to_name(linkType) {
            self.linkTypeName = String(cString: name)
        } else {
            self.linkTypeName = "DLT \(linkType)"
        }
        var size: Int64? = nil
        if path != "-" {
            var info = stat()
            if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { size = Int64(info.st_size) }
        }
        self.fileSize = size
        // Largest packet libpcap will hand out; the buffer never grows past this.
        let snap = Int(max(pcap_snapshot(handle), 65_535))
        self.buffer = [UInt8](repeating: 0, count: min(snap, 262_144))
    }

    deinit { pcap_close(handle) }

    /// Installs a BPF filter, compiled for this file's link type.
    public func setFilter(_ expression: String) throws {
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw CaptureError(.badFilter, "invalid filter '\(expression)': \(lastError)")
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else {
            throw CaptureError(.badFilter, "cannot apply filter '\(expression)': \(lastError)")
        }
    }

    private var lastError: String { String(cString: pcap_geterr(handle)) }

    /// Bytes of the file consumed so far, for progress reports.
    public var bytePosition: Int64? {
        guard fileSize != nil, let file = pcap_file(handle) else { return nil }
        let position = ftello(file)
        return position >= 0 ? Int64(position) : nil
    }

    /// Reads the next packet into `buffer`.
    public func next() -> Next {
        var headerPointer: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var dataPointer: UnsafePointer<UInt8>? = nil
        let status = pcap_next_ex(handle, &headerPointer, &dataPointer)
        switch status {
        case 1:
            guard let header = headerPointer?.pointee, let data = dataPointer else { return .damaged("libpcap returned no packet") }
            let captured = min(Int(header.caplen), buffer.count)
            buffer.withUnsafeMutableBufferPointer { target in
                target.baseAddress!.update(from: data, count: captured)
            }
            let timestamp = Timestamp(seconds: Int64(header.ts.tv_sec), microseconds: Int32(truncatingIfNeeded: header.ts.tv_usec))
            return .packet(PacketHeader(timestamp: timestamp, capturedLength: captured, originalLength: Int(header.len)))
        case PCAP_ERROR_BREAK:
            return .end
        default:
            return .damaged(lastError)
        }
    }
}
