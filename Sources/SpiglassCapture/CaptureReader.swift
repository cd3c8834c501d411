internal import CPcap
import Glibc

/// Reads pcap and pcapng files (or standard input for "-") through libpcap, one packet at a
/// time with `pcap_next_ex`, copying each into a reused buffer so callers work on a safe array.
public final class CaptureReader {
    public enum Next {
        case packet(PacketHeader)
        /// Live capture only: the read timeout passed with no packet; call `next()` again.
        case timeout
        /// Live capture only: `interruptLiveCapture()` woke the read (a signal arrived); the
        /// caller decides whether to stop or go on.
        case interrupted
        case end
        /// The file ended in the middle of a record or is otherwise damaged, or libpcap cannot
        /// read the rest of a sound file (`CaptureDamage.unreadable`).
        case damaged(CaptureDamage)
    }

    private let handle: OpaquePointer
    /// libpcap's link-layer type (a DLT_ value), as libpcap maps it from the file's LINKTYPE.
    public let linkType: Int32
    public let linkTypeName: String
    /// Size of the input file in bytes when known (not for a pipe or an interface); for a
    /// gzip'd file, its compressed size.
    public let fileSize: Int64?
    /// A gzip'd capture: the zlib stream libpcap reads through (closed with the handle).
    private var gzip: gzFile? = nil
    /// The stdio buffer of a file opened with `init(path:readBufferSize:)`, freed after the
    /// handle (which closes the FILE) is closed. glibc's `setvbuf` ignores the size asked for
    /// unless it is given the buffer: with none it keeps the 4 KiB default.
    private var readBuffer: UnsafeMutableRawPointer? = nil
    /// True for a capture from an interface.
    public let isLive: Bool
    /// The input's own timestamp resolution, at which libpcap reads it (`CaptureFileResolution`).
    public let timestampResolution: TimestampResolution
    /// The bytes of the last packet read; only `header.capturedLength` of them are valid.
    // Rewritten per packet by the one thread reading; see the exclusivity note in Analyzer.
    @exclusivity(unchecked) public private(set) var buffer: [UInt8]

    /// Opens a capture file, standard input for "-", or a pipe (`-r <(zcat x.pcap.gz)`, a FIFO),
    /// which is read as standard input is. Files are read through a 128 KiB stdio buffer
    /// (`fileBufferSize`): libpcap's default (the file system's 4 KiB block) costs a system call
    /// every three packets of 1400 bytes.
    public convenience init(path: String) throws {
        let descriptor: Int32
        if path == "-" {
            descriptor = STDIN_FILENO
        } else if CaptureReader.isStream(path) {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw CaptureError(
                    .cannotOpen, "cannot read capture '\(path)': \(path): \(String(cString: strerror(errno)))")
            }
        } else {
            try self.init(path: path, readBufferSize: CaptureReader.fileBufferSize)
            return
        }
        guard let (input, resolution, gzipped) = CaptureReader.openStream(descriptor) else {
            // The stream owned the descriptor and closed it.
            throw CaptureError(.cannotOpen, "cannot read capture '\(path)': \(String(cString: strerror(errno)))")
        }
        let handle = try CaptureReader.offlineHandle(input, resolution: resolution, path: path) { message in
            gzipped ? message + " (it is gzip'd: a stream is not decompressed; give `gzip -dc` its output)" : message
        }
        self.init(offline: handle, path: path, resolution: resolution)
    }

    /// The stdio buffer `init(path:)` gives a file. Measured on a 441 MB capture of 1400-byte
    /// packets read through libpcap: 4 KiB took 100 ms (108,000 reads), 32 to 128 KiB 62-75 ms,
    /// 256 KiB 79-84 ms and 1 MiB 115 ms: past a few hundred KiB the buffer no longer stays in
    /// the core's cache between the kernel's copy into it and libpcap's copy out.
    static let fileBufferSize = 128 << 10

    /// Opens a capture file (not standard input) read through a stdio buffer of
    /// `readBufferSize` bytes, so that reading costs one system call per buffer instead of one
    /// per few packets. A gzip'd file (magic 1f 8b) is read through zlib.
    public convenience init(path: String, readBufferSize: Int) throws {
        guard path != "-", !CaptureReader.isStream(path) else {
            let what = path == "-" ? "standard input" : "a pipe"
            throw CaptureError(
                .cannotOpen,
                "cannot read capture '\(path)': \(what) can be read only once, so it cannot be merged with other "
                    + "captures (give it alone, or save it to a file first)")
        }
        guard var file = fopen(path, "r") else {
            // Worded as libpcap words it in pcap_open_offline.
            throw CaptureError(
                .cannotOpen, "cannot read capture '\(path)': \(path): \(String(cString: strerror(errno)))")
        }
        var gzip: gzFile? = nil
        var resolution = CaptureReader.resolution(ofFile: fileno(file))
        if CaptureReader.isGzip(file) {
            resolution = CaptureReader.resolution(ofGzip: path)
            fclose(file)
            guard let opened = CaptureReader.openGzip(path: path, bufferSize: readBufferSize) else {
                throw CaptureError(.cannotOpen, "cannot read capture '\(path)': \(String(cString: strerror(errno)))")
            }
            (file, gzip) = opened
        }
        // Before any read of this FILE, as C requires (`isGzip` reads the descriptor, not it).
        let readBuffer = malloc(max(readBufferSize, 1))
        setvbuf(file, readBuffer?.assumingMemoryBound(to: CChar.self), _IOFBF, readBuffer == nil ? 0 : readBufferSize)
        // One thread reads this FILE (through libpcap), so stdio need not lock it for each of
        // the two reads a packet takes.
        _ = __fsetlocking(file, Int32(FSETLOCKING_BYCALLER))
        let handle: OpaquePointer
        do {
            handle = try CaptureReader.offlineHandle(file, resolution: resolution, path: path) { message in
                (gzip == nil ? "" : "after gunzip: ") + message
            }
        } catch {
            // The FILE is closed by now, so its buffer can go.
            free(readBuffer)
            throw error
        }
        self.init(offline: handle, path: path, resolution: resolution)
        self.gzip = gzip
        self.readBuffer = readBuffer
    }

    /// Whether `file` starts with gzip's magic (1f 8b). Read from its descriptor, so that the
    /// FILE has not been read when its buffer is set.
    static func isGzip(_ file: UnsafeMutablePointer<FILE>) -> Bool {
        var magic: [UInt8] = [0, 0]
        let read = pread(fileno(file), &magic, 2, 0)
        return read == 2 && magic == [0x1f, 0x8b]
    }

    /// A stdio stream of the decompressed bytes of gzip'd `path` (`fopencookie` over zlib's
    /// `gzread`), and the zlib handle, which closing the stream closes. Corrupt or cut
    /// compressed data reads as an error, which libpcap reports as a damaged capture.
    static func openGzip(path: String, bufferSize: Int) -> (UnsafeMutablePointer<FILE>, gzFile)? {
        guard let gzip = gzopen(path, "rb") else { return nil }
        gzbuffer(gzip, UInt32(min(bufferSize, 1 << 20)))
        var io = cookie_io_functions_t()
        io.read = { cookie, buffer, size in
            let got = gzread(cookie?.assumingMemoryBound(to: gzFile_s.self), buffer, UInt32(min(size, Int(Int32.max))))
            return got < 0 ? -1 : Int(got)
        }
        io.close = { cookie in gzclose(cookie?.assumingMemoryBound(to: gzFile_s.self)) == Z_OK ? 0 : -1 }
        guard let file = fopencookie(UnsafeMutableRawPointer(gzip), "r", io) else {
            gzclose(gzip)
            return nil
        }
        return (file, gzip)
    }

    private init(offline handle: OpaquePointer, path: String, resolution: TimestampResolution) {
        self.handle = handle
        self.linkType = pcap_datalink(handle)
        self.linkTypeName = CaptureReader.describe(linkType: linkType)
        var size: Int64? = nil
        if path != "-" {
            var info = stat()
            if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { size = Int64(info.st_size) }
        }
        self.fileSize = size
        self.isLive = false
        self.timestampResolution = resolution
        // Largest packet libpcap will hand out; the buffer never grows past this.
        let snap = Int(max(pcap_snapshot(handle), 65_535))
        self.buffer = [UInt8](repeating: 0, count: min(snap, 262_144))
    }

    deinit {
        if isLive { LiveCaptureInterrupt.clear(handle) }
        if filterProgram != nil { pcap_freecode(&filterProgram!) }
        pcap_close(handle)
        free(readBuffer)
    }

    /// Wakes a live capture blocked in `next()`, from a signal handler: libpcap's
    /// `pcap_breakloop` only sets a flag and writes to an eventfd, both async-signal-safe.
    public static func interruptLiveCapture() {
        LiveCaptureInterrupt.interrupt()
    }

    /// "EN10MB (Ethernet)", as tcpdump says it.
    static func describe(linkType: Int32) -> String {
        guard let name = pcap_datalink_val_to_name(linkType) else { return "DLT \(linkType)" }
        if let description = pcap_datalink_val_to_description(linkType) {
            return "\(String(cString: name)) (\(String(cString: description)))"
        }
        return String(cString: name)
    }

    /// Settings of a live capture.
    public struct LiveOptions: Sendable {
        /// Big enough for jumbo frames and GRO/TSO super-packets.
        public var snapLength: Int32 = 262_144
        public var promiscuous = true
        /// libpcap's memory-mapped ring (`-B`); a burst larger than this is dropped by the
        /// kernel (and counted). nil: sized for the link (`LiveCaptureBuffer.defaultBytes`).
        public var bufferBytes: Int? = nil
        /// How long the kernel holds a partly filled ring block before handing it over, and
        /// how long a read waits with no packet: the bound on how late a packet is seen, and on
        /// how late a stop request is noticed.
        public var readTimeoutMilliseconds: Int32 = 50

        public init() {}
    }

    /// Opens `interface` for live capture on libpcap's memory-mapped ring (TPACKET_V3, as
    /// `tcpdump -w` uses it): packets are packed into blocks as they come, so the ring holds as
    /// many as its bytes allow. (Immediate mode would give every packet a slot of the snapshot
    /// length on an interface with offloads, a veth among them: an 8 MiB ring then held 31
    /// packets and dropped half of a 3 Gbit/s replay.) Reads do not block inside libpcap:
    /// `next()` says `.timeout` as soon as the ring is empty, so that a caller holding packets
    /// hands them on, and waits on the ring itself the next time. Errors say what a user can
    /// do about them.
    public init(interface: String, options: LiveOptions = LiveOptions()) throws {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let created = errorBuffer.withUnsafeMutableBufferPointer { pcap_create(interface, $0.baseAddress) }
        guard let handle = created else {
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CaptureError(.cannotOpen, "cannot capture on '\(interface)': \(message)")
        }
        pcap_set_snaplen(handle, options.snapLength)
        pcap_set_promisc(handle, options.promiscuous ? 1 : 0)
        let ringBytes = options.bufferBytes ?? LiveCaptureBuffer.defaultBytes(interface: interface)
        pcap_set_buffer_size(handle, Int32(clamping: ringBytes))
        pcap_set_timeout(handle, options.readTimeoutMilliseconds)
        // Nanoseconds where the platform stamps them (Linux does); microseconds otherwise.
        _ = pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let status = pcap_activate(handle)
        if status < 0 {
            let detail = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            switch status {
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
                throw CaptureError(
                    .permissionDenied,
                    "no permission to capture on '\(interface)': run as root, or give the binary the capabilities: setcap cap_net_raw,cap_net_admin=eip \(CommandLine.arguments.first ?? "spiglass") (\(detail))"
                )
            case PCAP_ERROR_NO_SUCH_DEVICE:
                throw CaptureError(
                    .noSuchInterface,
                    "no such interface '\(interface)'; 'spiglass interfaces' lists the ones that can be captured on (\(detail))"
                )
            case PCAP_ERROR_IFACE_NOT_UP:
                throw CaptureError(
                    .interfaceDown, "interface '\(interface)' is down; bring it up first (ip link set \(interface) up)")
            default:
                throw CaptureError(.cannotOpen, "cannot capture on '\(interface)': \(detail)")
            }
        }
        self.handle = handle
        self.linkType = pcap_datalink(handle)
        self.linkTypeName = CaptureReader.describe(linkType: linkType)
        self.fileSize = nil
        self.isLive = true
        self.timestampResolution =
            pcap_get_tstamp_precision(handle) == Int32(PCAP_TSTAMP_PRECISION_NANO) ? .nanoseconds : .microseconds
        self.buffer = [UInt8](repeating: 0, count: Int(max(pcap_snapshot(handle), 65_535)))
        self.pollTimeout = options.readTimeoutMilliseconds
        errorBuffer.withUnsafeMutableBufferPointer { _ = pcap_setnonblock(handle, 1, $0.baseAddress) }
        self.selectable = pcap_get_selectable_fd(handle)
        self.ringBytes = ringBytes
        LiveCaptureInterrupt.register(handle)
        if status > 0 {
            // A warning (e.g. promiscuous mode unsupported): capture goes on.
            warning = String(cString: pcap_geterr(handle))
        }
    }

    /// A warning libpcap gave when the capture started, if any.
    public private(set) var warning: String? = nil
    /// Live capture: the ring's size asked of libpcap, in bytes.
    public private(set) var ringBytes = 0
    /// Live capture: the descriptor `next()` waits on when the ring is empty (-1: none, and
    /// libpcap then waits itself), how long it waits, and whether the ring was found empty
    /// since the last packet (the caller has been told, with a `.timeout`).
    private var selectable: Int32 = -1
    private var pollTimeout: Int32 = 0
    private var drained = false

    /// libpcap's counters for a live capture: packets received, dropped by the kernel for
    /// lack of buffer space, and dropped by the interface.
    public func statistics() -> (received: UInt32, dropped: UInt32, interfaceDropped: UInt32)? {
        guard isLive else { return nil }
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return nil }
        return (stats.ps_recv, stats.ps_drop, stats.ps_ifdrop)
    }

    /// The compiled `-f` filter, run on each packet by `next()` (see `setFilter`).
    // Read on every packet by `next()` and written only by `setFilter`: no dynamic exclusivity check.
    @exclusivity(unchecked) private var filterProgram: bpf_program? = nil

    /// Compiles a BPF filter for this capture's link type. For a file, `next()` runs it on every
    /// packet and marks the packets it rejects (`PacketHeader.excludedByFilter`) instead of
    /// libpcap dropping them unseen (libpcap runs a file's filter in user space too, so this
    /// costs the same): every frame is still counted, and frame numbers and relative times stay
    /// those of the file, as Wireshark numbers them. An interface's filter runs in the kernel,
    /// as tcpdump's and tshark's capture filters do: what it rejects never reaches the ring (on
    /// a busy link, the ring would otherwise fill with it), and the numbers count what was
    /// captured, as tshark -i -f numbers them.
    public func setFilter(_ expression: String) throws {
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw CaptureError(.badFilter, "invalid filter '\(expression)': \(lastError)")
        }
        guard !isLive else {
            defer { pcap_freecode(&program) }
            guard pcap_setfilter(handle, &program) == 0 else {
                throw CaptureError(.badFilter, "cannot apply filter '\(expression)': \(lastError)")
            }
            return
        }
        if filterProgram != nil { pcap_freecode(&filterProgram!) }
        filterProgram = program
    }

    private var lastError: String { String(cString: pcap_geterr(handle)) }

    /// Bytes of the file consumed so far, for progress reports (compressed bytes of a gzip'd one).
    public var bytePosition: Int64? {
        if let gzip { return Int64(gzoffset(gzip)) }
        guard fileSize != nil, let file = pcap_file(handle) else { return nil }
        let position = ftello(file)
        return position >= 0 ? Int64(position) : nil
    }

    /// Reads the next packet into `buffer`.
    public func next() -> Next {
        var headerPointer: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var dataPointer: UnsafePointer<UInt8>? = nil
        var status = pcap_next_ex(handle, &headerPointer, &dataPointer)
        if status == 0 && isLive && waitForRing() { status = pcap_next_ex(handle, &headerPointer, &dataPointer) }
        switch status {
        case 1:
            guard let header = headerPointer?.pointee, let data = dataPointer else {
                return .damaged(CaptureDamage(.reported("libpcap returned no packet")))
            }
            drained = false
            // pcap_offline_filter: 0 when the program rejects the packet.
            if filterProgram != nil, pcap_offline_filter(&filterProgram!, headerPointer, data) == 0 {
                return .packet(CaptureReader.excluded(header, resolution: timestampResolution))
            }
            let captured = min(Int(header.caplen), buffer.count)
            buffer.withUnsafeMutableBufferPointer { target in
                target.baseAddress!.update(from: data, count: captured)
            }
            let (timestamp, outOfRange) = CaptureReader.timestamp(header.ts, resolution: timestampResolution)
            return .packet(
                PacketHeader(
                    timestamp: timestamp, capturedLength: captured, originalLength: Int(header.len),
                    outOfRangeFraction: outOfRange))
        case 0:
            return .timeout
        case PCAP_ERROR_BREAK:
            return isLive ? .interrupted : .end
        default:
            return .damaged(CaptureDamage(CaptureReader.cause(lastError)))
        }
    }

    /// The header of a packet the filter rejected: its time and length, none of its bytes.
    private static func excluded(_ header: pcap_pkthdr, resolution: TimestampResolution) -> PacketHeader {
        let (timestamp, outOfRange) = CaptureReader.timestamp(header.ts, resolution: resolution)
        return PacketHeader(
            timestamp: timestamp, capturedLength: 0, originalLength: Int(header.len),
            outOfRangeFraction: outOfRange, excludedByFilter: true)
    }

    /// A live read found the ring empty (`pcap_next_ex` said 0): true to read again after a
    /// wait of up to the read timeout for the kernel to fill or time out a block (a signal ends
    /// it early); false the first time since a packet, so that the caller hears `.timeout` at
    /// once and hands on what it holds.
    private func waitForRing() -> Bool {
        guard drained, selectable >= 0 else {
            drained = true
            return false
        }
        var descriptor = pollfd(fd: selectable, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, pollTimeout)
        return true
    }

    /// What libpcap's error `message` means: its refusal of a pcapng with interfaces of several
    /// link types ("an interface has a type 101 different from the type of the first
    /// interface"), with the type it names, or damage in its words.
    static func cause(_ message: String) -> CaptureDamage.Cause {
        guard message.contains("different from the type of the first interface") else { return .reported(message) }
        return .mixedLinkTypes(otherLinkType: message.split(separator: " ").lazy.compactMap { Int($0) }.first)
    }
}
