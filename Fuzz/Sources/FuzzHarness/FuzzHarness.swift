import SpiglassAnalysis
import SpiglassCapture
import SpiglassESP
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// The entry points of the fuzz targets (Fuzz/), one per parser that takes outside bytes.
/// Each takes the raw fuzzer input and drives the public API of the Spiglass modules with it;
/// none traps by itself, so any trap is a bug in the code under test. The same functions run
/// the saved crash inputs in `swift test` (Tests/SpiglassTests/FuzzRegressionTests.swift,
/// which reaches this file through the symlink Tests/SpiglassTests/FuzzHarness).
///
/// Inputs that carry several units (frames, IKE messages, fragments, TCP segments) cut them at
/// `separator`; see Fuzz/README.md for each target's layout.
public enum FuzzHarness {
    /// Cuts an input into units. Four bytes that no fixture frame contains.
    public static let separator: [UInt8] = Array("SPLT".utf8)
    /// Units taken from one input; the rest is ignored.
    public static let maxUnits = 64

    public static let targets = ["wire", "esp", "ikev2", "fragments", "keyfiles", "tcp"]

    /// Runs `data` through the target named `target` (one of `targets`).
    public static func run(target: String, _ data: [UInt8]) {
        switch target {
        case "wire": wire(data)
        case "esp": esp(data)
        case "ikev2": ikev2(data)
        case "fragments": fragments(data)
        case "keyfiles": keyfiles(data)
        case "tcp": tcp(data)
        default: break
        }
    }

    /// `data` cut at every `separator`, at most `maxUnits` pieces (empty pieces kept).
    public static func split(_ data: ArraySlice<UInt8>) -> [[UInt8]] {
        var units: [[UInt8]] = []
        var start = data.startIndex
        var i = data.startIndex
        while i + separator.count <= data.endIndex && units.count < maxUnits - 1 {
            if data[i] == separator[0] && data[i + 1] == separator[1] && data[i + 2] == separator[2]
                && data[i + 3] == separator[3]
            {
                units.append(Array(data[start..<i]))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        units.append(Array(data[start..<data.endIndex]))
        return units
    }

    /// Joins units with `separator` (the inverse of `split`, for making seeds).
    public static func join(_ units: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, unit) in units.enumerated() {
            if index > 0 { out += separator }
            out += unit
        }
        return out
    }

    // MARK: - wire: link layer to IKE reconstruction, through Analyzer.process

    /// Link types by the low three bits of the `wire` config byte, as DLT values.
    public static let wireDLTs: [Int32] = [1, 113, 276, 101, 228, 229, 0, 108]

    /// The fixtures' ESP, AH and IKE keys (FuzzKeys.swift), plus SAs that let the fuzzer
    /// write decrypted bytes itself: SPI 0x00000001 null/null (plaintext ESP),
    /// 0x00000002 AES-CTR with an unchecked ICV, and AH SPI 0x00000003 with an unchecked ICV.
    public static let wireKeys: KeySet = {
        let extra = """
            esp spi=0x00000001 enc=null auth=null
            esp spi=0x00000002 enc=aes-ctr enc-key=0x000102030405060708090a0b0c0d0e0f10111213 auth=unchecked-96
            ah spi=0x00000003 auth=unchecked-96
            """
        var keys =
            (try? KeyFileLoader.parseKeys(fixtureKeyText, file: "fuzz-fixture-keys", format: .native)) ?? KeySet()
        if let more = try? KeyFileLoader.parseKeys(extra, file: "fuzz-extra-keys", format: .native) { keys.merge(more) }
        return keys
    }()

    /// A `wire` unit that sets the time instead of being a frame: `TIME`, then the seconds (8
    /// bytes) and the microseconds field (4 bytes) of a capture record, big-endian and signed,
    /// as a crafted pcap or pcapng can make libpcap hand them out.
    public static let timeMarker: [UInt8] = Array("TIME".utf8)

    /// The time a `timeMarker` unit sets, normalised as `CaptureReader` does; nil for any
    /// other unit.
    static func markedTime(_ unit: [UInt8]) -> (timestamp: Timestamp, carried: Int64?)? {
        guard unit.count == timeMarker.count + 12, Array(unit.prefix(timeMarker.count)) == timeMarker else {
            return nil
        }
        var seconds: UInt64 = 0
        for byte in unit[4..<12] { seconds = seconds << 8 | UInt64(byte) }
        var field: UInt32 = 0
        for byte in unit[12..<16] { field = field << 8 | UInt32(byte) }
        let microseconds = Int64(Int32(bitPattern: field))
        let (timestamp, carried) = Timestamp.normalised(seconds: Int64(bitPattern: seconds), microseconds: microseconds)
        return (timestamp, carried ? microseconds : nil)
    }

    /// Layout: one config byte, then frames cut at `separator`.
    /// Config: bits 0-2 link type (`wireDLTs`); bit 3 JSON; bit 4 the IKE report; bit 5 quiet;
    /// bit 6 an unsupported link type instead; bit 7 31 s between frames instead of 1 ms (so
    /// that reassembly timeouts fire). An empty frame reloads the keys instead (SIGHUP); a
    /// `timeMarker` unit sets the time of the frames after it.
    public static func wire(_ data: [UInt8]) {
        guard let config = data.first else { return }
        let dlt: Int32 = config & 0x40 != 0 ? 147 : wireDLTs[Int(config & 7)]
        let frames = split(data[1...])
        // The layers on their own first, as a capture of one frame would meet them.
        if let linkType = LinkType(dlt: dlt), let frame = frames.first {
            var wire = ByteReader(frame)
            if case .success(let link) = LinkDecoder.decode(&wire, as: linkType),
                case .success(let ip) = IPLayer.parse(&wire, announcedVersion: link.announcedVersion)
            {
                _ = IPsecLayers.classify(ByteReader(frame, range: ip.payloadRange), protocolNumber: ip.protocolNumber)
            }
        }
        var options = AnalysisOptions()
        options.format = config & 0x08 != 0 ? .json : .text
        options.report = config & 0x10 != 0 ? .ike : .packets
        options.quiet = config & 0x20 != 0
        // Text with its packet lines also renders `-V` under each, so the dissection meets hostile input too.
        options.packetDetails = options.format == .text && !options.quiet
        options.tcpEncapsulationPorts = [4500, 443]
        // Text goes to an 80-column terminal for an odd number of frames, so that the compact
        // packet and IKE lines and the line fitter meet hostile input too.
        if options.format == .text && frames.count % 2 == 1 { options.display = TextDisplay(width: 80) }
        let keys = wireKeys
        // The reports are checked by the output oracle, then dropped.
        let oracle = OutputOracle.Sink(json: options.format == .json)
        guard
            let analyzer = try? Analyzer(
                sad: Analyzer.espDatabase(keys), ahSAD: Analyzer.ahDatabase(keys), ikeKeys: keys.ikeSAs,
                options: options,
                output: options.display.isPlain ? oracle : TerminalSink(oracle, display: options.display))
        else { return }
        analyzer.setLinkType(dlt: dlt, name: "fuzz")
        let step: Int64 = config & 0x80 != 0 ? 31_000_000 : 1_000
        var time = Timestamp(seconds: 1_700_000_000, microseconds: 0)
        var carried: Int64? = nil
        for frame in frames {
            time = Timestamp.normalised(seconds: time.seconds, microseconds: Int64(time.microseconds) + step).timestamp
            if frame.isEmpty {
                analyzer.reload(Analyzer.espDatabase(keys), ah: Analyzer.ahDatabase(keys))
                continue
            }
            if let marked = markedTime(frame) {
                (time, carried) = marked
                continue
            }
            let header = PacketHeader(
                timestamp: time, capturedLength: frame.count, originalLength: frame.count,
                outOfRangeFraction: carried)
            carried = nil
            analyzer.process(frame, header: header)
        }
        analyzer.finish()
    }

    // MARK: - esp: ESPDecryptor with fixed SAs

    /// Key bytes for the fuzz SAs.
    static func bytes(_ count: Int, seed: UInt8) -> SecretBytes {
        SecretBytes((0..<count).map { UInt8(truncatingIfNeeded: Int(seed) &* 37 &+ $0 &* 11 &+ 1) })
    }

    /// The `esp` target's SAs, by the low four bits of the config byte. The last few leave the
    /// ICV unchecked, so that mutated ciphertext reaches the trailer checks.
    public static let espSAs: [SecurityAssociation] = {
        func sa(
            _ encryption: EncryptionAlgorithm, _ keyLength: Int, _ integrity: IntegrityAlgorithm,
            _ integrityKeyLength: Int,
            _ seed: UInt8
        ) -> SecurityAssociation {
            SecurityAssociation(
                spi: SPI(0x1000 + UInt32(seed)), encryption: encryption, encryptionKey: bytes(keyLength, seed: seed),
                integrity: integrity, integrityKey: bytes(integrityKeyLength, seed: seed &+ 100))
        }
        return [
            sa(.aesCBC, 16, .hmacSHA1_96, 20, 0),
            sa(.aesCBC, 32, .hmacSHA256_128, 32, 1),
            sa(.aesGCM(icvLength: 16), 20, .null, 0, 2),
            sa(.aesGCM(icvLength: 8), 36, .null, 0, 3),
            sa(.chaCha20Poly1305, 36, .null, 0, 4),
            sa(.aesCTR, 20, .hmacSHA512_256, 64, 5),
            sa(.aesCCM(icvLength: 16), 19, .null, 0, 6),
            sa(.aesNullGMAC, 20, .null, 0, 7),
            sa(.aesGCMImplicitIV(icvLength: 16), 20, .null, 0, 8),
            sa(.chaCha20Poly1305ImplicitIV, 36, .null, 0, 9),
            sa(.aesCCMImplicitIV(icvLength: 8), 19, .null, 0, 16),
            sa(.tripleDESCBC, 24, .hmacMD5_96, 16, 10),
            sa(.null, 0, .aesXCBC_96, 16, 11),
            sa(.aesCBC, 24, .aesCMAC_96, 16, 12),
            sa(.null, 0, .null, 0, 13),
            sa(.aesCBC, 16, .null, 0, 14),
            sa(.aesCTR, 28, .unchecked(icvLength: 12), 0, 15),
        ]
    }()

    /// Layout: config byte, four bytes of ESN high bits, then the packet.
    /// Config: bits 0-3 SA (`espSAs`); bit 4 ESN; bits 5-6 the ESP header starts 0, 1, 8 or 20
    /// bytes into the packet; bit 7 an ICV failure is diagnosed (ICVFailureDiagnosis).
    public static func esp(_ data: [UInt8]) {
        guard data.count >= 5 else { return }
        let config = data[0]
        let high = UInt32(data[1]) << 24 | UInt32(data[2]) << 16 | UInt32(data[3]) << 8 | UInt32(data[4])
        let packet = Array(data[5...])
        let start = [0, 1, 8, 20][Int(config >> 5) & 3]
        guard start <= packet.count else { return }
        let range = start..<packet.count
        var sa = espSAs[Int(config & 15)]
        sa.extendedSequenceNumbers = config & 0x10 != 0
        _ = ESPNullHeuristic.detect(packet, esp: range)
        var espReader = ByteReader(packet, range: range)
        if case .success(let header) = ESPHeader.parse(&espReader) {
            var tracker = SequenceNumberTracker(initialHigh: high, window: 64)
            let candidates = tracker.candidates(low: header.sequence)
            tracker.accept(UInt64(candidates.0) << 32 | UInt64(header.sequence))
            var window = ReplayWindow(size: 64)
            _ = window.record(UInt64(high) << 32 | UInt64(header.sequence))
        }
        // Made per input, like the pipeline's per-SA states (a cache held in a static would
        // hide OpenSSL handles from LeakSanitizer behind Swift's enum payload bits).
        guard let state = try? ESPCryptoState(sa: sa) else { return }
        // Per call, so that tests may run the harness on several threads at once.
        var output = [UInt8](repeating: 0, count: packet.count + 64)
        let result = ESPDecryptor.decrypt(packet, esp: range, state: state, sequenceHigh: high, output: &output)
        let transport = PlaintextCheck.Transport(
            source: .v4(0x0a00_0001), destination: .v4(0x0a00_0002), natTraversal: config & 0x40 != 0)
        let judged = PlaintextCheck.judge(result, plain: output, transport: transport)
        if result.icv == .failed && config & 0x80 != 0 {
            _ = ICVFailureDiagnosis.diagnose(
                packet, esp: range, sa: state.sa, sequenceHigh: high, transport: transport, ownState: state,
                otherCount: espSAs.count, otherState: { try? ESPCryptoState(sa: espSAs[$0]) })
        }
        if judged.verdict == .garbled && config & 0x80 != 0 {
            _ = ICVFailureDiagnosis.diagnoseGarbled(
                packet, esp: range, sa: state.sa, sequenceHigh: high, transport: transport,
                otherCount: espSAs.count, otherState: { try? ESPCryptoState(sa: espSAs[$0]) })
        }
        _ = WeakAlgorithmCheck.findings(for: state.sa)
    }

    // MARK: - ikev2: parser, SK/SKF protection, reconstruction

    /// The `ikev2` target's keys for `IKEv2MessageProtection.open`, by bits 2-4 of the config
    /// byte. The first two check no ICV, so mutated ciphertext reaches the padding checks.
    public static let ikeProtectionSAs: [IKESecurityAssociation] = {
        func sa(_ encryption: IKEEncryptionAlgorithm, _ integrity: IKEIntegrityAlgorithm?, _ seed: UInt8)
            -> IKESecurityAssociation
        {
            var sa = IKESecurityAssociation(
                version: .v2, initiatorSPI: 0x0102_0304_0506_0700 | UInt64(seed), responderSPI: 0x1112_1314_1516_1718,
                origin: SAOrigin(file: "fuzz", line: Int(seed)))
            sa.encryption = encryption
            sa.integrity = integrity
            sa.prf = .hmacSHA256
            let keyLength = encryption.keyMaterialLength ?? 16
            sa.skEi = bytes(keyLength, seed: seed)
            sa.skEr = bytes(keyLength, seed: seed &+ 1)
            if let integrity, integrity != IKEIntegrityAlgorithm.none {
                let length = IKEv2MessageProtection.integrityKeyLength(integrity)
                sa.skAi = bytes(length, seed: seed &+ 2)
                sa.skAr = bytes(length, seed: seed &+ 3)
            }
            sa.skD = bytes(32, seed: seed &+ 4)
            return sa
        }
        return [
            sa(.aesCBC(keyBits: 128), IKEIntegrityAlgorithm.none, 0),
            sa(.aesCTR(keyBits: 128), IKEIntegrityAlgorithm.none, 1),
            sa(.aesGCM(keyBits: 128, icvLength: 16), nil, 2),
            sa(.aesCBC(keyBits: 256), .hmacSHA256_128, 3),
            sa(.chaCha20Poly1305, nil, 4),
            sa(.aesCCM(keyBits: 128, icvLength: 16), nil, 5),
            sa(.tripleDES, .hmacSHA1_96, 6),
            sa(.aesCTR(keyBits: 256), .aesXCBC_96, 7),
        ]
    }()

    /// Keys of the reconstruction: the fixtures' IKEv2 SAs with their SPIs, PRF and SK_d, but
    /// AES-CTR-128 with no integrity check in place of their own transforms, so that the
    /// fuzzer can change the inner payloads of the seed messages (re-sealed with these keys
    /// by `fuzz-seeds`) and they still open. CTR keeps each changed byte where it was. The
    /// fixtures' IKEv1 SAs as they are (IKEv1 encryption has no ICV: changed ciphertext opens).
    public static let reconstructionKeys: [IKESecurityAssociation] = wireKeys.ikeSAs.map { fixture in
        guard fixture.version == .v2 else { return fixture }
        var sa = fixture
        sa.encryption = .aesCTR(keyBits: 128)
        sa.integrity = IKEIntegrityAlgorithm.none
        sa.skEi = bytes(20, seed: 0x31)
        sa.skEr = bytes(20, seed: 0x32)
        sa.skAi = []
        sa.skAr = []
        return sa
    }

    /// Layout: config byte, then the rest.
    /// Config bits 0-1: 0 parse the rest as a message; 1 as a payload chain whose first
    /// payload type is the rest's first byte; 2 open the rest's SK/SKF with the key of bits 2-4
    /// (`ikeProtectionSAs`), bit 5 the initiator's keys, bit 6 at the offset the parser
    /// found (else the payload is looked for); 3 the reconstruction, fed the IKE messages cut
    /// from the rest at `separator`, each after a prefix: a flags byte (bit 0 IPv6, bits 1-2
    /// the transport), the source and destination addresses (4 or 16 bytes each) and the
    /// source and destination ports (2 bytes each).
    public static func ikev2(_ data: [UInt8]) {
        guard let config = data.first else { return }
        let rest = Array(data[1...])
        switch config & 3 {
        case 0:
            if case .success(let message) = IKEv2Parser.parseMessage(rest, range: 0..<rest.count) {
                for payload in message.payloads { OutputOracle.checkText(payload.summary, context: "IKEv2 payload") }
            }
            if case .success(let message) = IKEv1Parser.parseMessage(rest, range: 0..<rest.count) {
                for payload in message.payloads { OutputOracle.checkText(payload.summary, context: "IKEv1 payload") }
            }
        case 1:
            guard let first = rest.first else { return }
            for payload in IKEv2Parser.parsePayloadChain(rest, range: 1..<rest.count, firstPayload: first).payloads {
                OutputOracle.checkText(payload.summary, context: "IKEv2 payload")
            }
            for payload in IKEv1Parser.parseChain(rest, range: 1..<rest.count, firstPayload: first).payloads {
                OutputOracle.checkText(payload.summary, context: "IKEv1 payload")
            }
        case 2:
            guard let protection = try? IKEv2MessageProtection(sa: ikeProtectionSAs[Int(config >> 2) & 7]) else {
                return
            }
            let initiator = config & 0x20 != 0
            let opened: Result<IKEv2Plaintext, IKEv2ProtectionError>
            if config & 0x40 != 0 {
                guard case .success(let message) = IKEv2Parser.parseMessage(rest, range: 0..<rest.count),
                    let last = message.payloads.last
                else { return }
                opened = protection.open(
                    message: rest, messageRange: message.header.range, encryptedPayloadOffset: last.range.lowerBound,
                    sentByInitiator: initiator)
            } else {
                opened = protection.open(message: rest, messageRange: 0..<rest.count, sentByInitiator: initiator)
            }
            if case .success(let plain) = opened {
                for payload in IKEv2Parser.parsePayloadChain(
                    plain.payloads, range: 0..<plain.payloads.count,
                    firstPayload: plain.firstPayloadType
                ).payloads {
                    OutputOracle.checkText(payload.summary, context: "IKEv2 payload")
                }
            }
        default:
            reconstruct(split(rest[...]))
        }
    }

    static func reconstruct(_ messages: [[UInt8]]) {
        let ike = IKEReconstruction(keys: reconstructionKeys)
        var derived = 0
        ike.onDerivedSA = { _ in derived += 1 }
        ike.onDiagnostic = { _ in }
        var time: Int64 = 1_700_000_000_000_000
        for (index, unit) in messages.enumerated() {
            time += 1_000
            guard let flags = unit.first else { continue }
            let v6 = flags & 1 != 0
            let addressLength = v6 ? 16 : 4
            let headerLength = 1 + 2 * addressLength + 4
            guard unit.count >= headerLength else { continue }
            func address(_ at: Int) -> IPAddress {
                if v6 {
                    var hi: UInt64 = 0
                    var lo: UInt64 = 0
                    for i in 0..<8 { hi = hi << 8 | UInt64(unit[at + i]) }
                    for i in 8..<16 { lo = lo << 8 | UInt64(unit[at + i]) }
                    return .v6(hi, lo)
                }
                return .v4(
                    UInt32(unit[at]) << 24 | UInt32(unit[at + 1]) << 16 | UInt32(unit[at + 2]) << 8
                        | UInt32(unit[at + 3]))
            }
            let ports = 1 + 2 * addressLength
            let transport: IKETransport = [.udp, .udpEncapsulated, .tcp, .udp][Int(flags >> 1) & 3]
            let datagram = IKEDatagram(
                frame: index + 1, time: Timestamp.normalised(seconds: 0, microseconds: time).timestamp,
                source: address(1), destination: address(1 + addressLength),
                sourcePort: UInt16(unit[ports]) << 8 | UInt16(unit[ports + 1]),
                destinationPort: UInt16(unit[ports + 2]) << 8 | UInt16(unit[ports + 3]),
                transport: transport, bytes: unit, range: headerLength..<unit.count)
            ike.process(datagram)
        }
        ike.finish()
        for spi: SPI in [0, 1, 0xffff_ffff] { _ = ike.childSA(spi: spi) }
        for sa in ike.ikeSAs {
            for text in [sa.initiatorIdentity, sa.responderIdentity].compactMap({ $0?.summary })
                + sa.vendorIDs.map(IKEText.vendor)
            {
                OutputOracle.checkText(text, context: "IKE SA")
            }
        }
    }

    // MARK: - fragments: FragmentReassembler

    /// Layout: config byte, then IP packets (raw, version from the first nibble) cut at
    /// `separator`. Config: bit 0 tight limits (2 datagrams, 2 KiB, 8 fragments, 1 s); bits
    /// 1-2 time between packets: 1 ms, 700 ms, 61 s, or none.
    public static func fragments(_ data: [UInt8]) {
        guard let config = data.first else { return }
        var limits = FragmentReassembler.Limits()
        if config & 1 != 0 {
            limits.maxPendingDatagrams = 2
            limits.maxPendingBytes = 2048
            limits.maxFragmentsPerDatagram = 8
            limits.timeoutMicroseconds = 1_000_000
        }
        let step: Int64 = [1_000, 700_000, 61_000_000, 0][Int(config >> 1) & 3]
        let reassembler = FragmentReassembler(limits: limits)
        var time: Int64 = 1_700_000_000_000_000
        for packet in split(data[1...]) {
            time += step
            var reader = ByteReader(packet)
            guard case .success(let ip) = IPLayer.parse(&reader), ip.fragment != nil else { continue }
            if case .complete(let datagram, _) = reassembler.add(packet, ip: ip, time: time) {
                var whole = ByteReader(datagram)
                if case .success(let wholeIP) = IPLayer.parse(&whole) {
                    _ = IPsecLayers.classify(
                        ByteReader(datagram, range: wholeIP.payloadRange), protocolNumber: wholeIP.protocolNumber)
                }
            }
        }
        _ = reassembler.pendingCount
        _ = reassembler.droppedDatagrams
    }

    // MARK: - keyfiles: every key-file parser

    /// Layout: config byte, then the key-file text (UTF-8, repaired where invalid).
    /// Config: 0 detect the format, 1-10 force `KeyFileFormat.allCases[config - 1]`, any other
    /// value detects too. Bit 7 runs `checkKeys` (the line-by-line `keys check`) as well.
    /// Every SA parsed is written back in every format and the native text parsed again; the
    /// policies read are put in an SPD and asked about a packet. Every error and note goes
    /// through the output oracle. tcpdump's `file PATH` includes are confined to the including
    /// file's folder (`KeyFileIncludes.confined`), which is one that does not exist here: the
    /// fuzzer cannot make them read the machine's files.
    public static func keyfiles(_ data: [UInt8]) {
        guard let config = data.first else { return }
        let text = String(decoding: data[1...], as: UTF8.self)
        let file = "/nonexistent-spiglass-fuzz/keys"
        let selector = Int(config & 0x7f)
        let format: KeyFileFormat? =
            (1...KeyFileFormat.allCases.count).contains(selector) ? KeyFileFormat.allCases[selector - 1] : nil
        do {
            let keys = try KeyFileLoader.parseKeys(text, file: file, format: format)
            let native = KeyFileWriter.native(keys)
            _ = KeyFileWriter.wireshark(keys)
            _ = KeyFileWriter.tcpdump(keys)
            _ = try? KeyFileLoader.parseKeys(native, file: file, format: .native)
            for sa in keys.sas { OutputOracle.checkText(KeyFileLoader.note(for: sa).description, context: "key note") }
            for note in keys.notes { OutputOracle.checkText(note.description, context: "key note") }
            let spd = SecurityPolicyDatabase(keys.policies)
            let packet = SelectorFields(
                source: .v4(0x0A01_0203), destination: .v4(0x0A02_0304), protocolNumber: 17, sourcePort: 4500,
                destinationPort: 53)
            _ = spd.leak(packet)
            let sa = ProtectingSA(
                ipsecProtocol: .esp, spi: 1, outerSource: .v4(0xC000_0201), outerDestination: .v4(0xC000_0202),
                tunnel: true)
            _ = spd.checkInbound(packet, protectedBy: sa, bindings: spd.bindings(for: sa))
            for policy in keys.policies.prefix(64) { OutputOracle.checkText(policy.description, context: "policy") }
        } catch let error as KeyFileError {
            _ = error.column(in: text)
            OutputOracle.checkText(error.description, context: "key error")
        } catch {}
        if config & 0x80 != 0 {
            let checked = KeyFileLoader.checkKeys(text, file: file, format: format)
            for error in checked.errors.prefix(16) {
                _ = error.column(in: text)
                OutputOracle.checkText(error.description, context: "key error")
            }
            for note in checked.keys.notes.prefix(64) { OutputOracle.checkText(note.description, context: "key note") }
        }
    }

    // MARK: - tcp: RFC 8229 stream reassembly

    /// Layout: config byte, then TCP segments cut at `separator`, each after one byte that
    /// picks one of four connections. Config: bit 0 tight limits (2 connections, 512 bytes
    /// buffered, 4 segments beyond a gap).
    public static func tcp(_ data: [UInt8]) {
        guard let config = data.first else { return }
        var limits = TCPEncapsulation.Limits()
        if config & 1 != 0 {
            limits.maxConnections = 2
            limits.maxBufferedBytes = 512
            limits.maxOutOfOrderSegments = 4
        }
        let streams = TCPEncapsulation(limits: limits)
        for unit in split(data[1...]) {
            // The selector byte first: an empty unit has no `1..<count` range to read.
            guard let selector = unit.first else { continue }
            var reader = ByteReader(unit, range: 1..<unit.count)
            guard case .success(let segment) = TCPEncapsulation.segment(&reader) else { continue }
            let client = IPAddress.v4(0x0a00_0001 + UInt32(selector & 3))
            let key = TCPEncapsulation.ConnectionKey(
                source: client, sourcePort: segment.sourcePort,
                destination: .v4(0x0a00_00fe), destinationPort: segment.destinationPort)
            for message in streams.add(unit, segment: segment, key: key) {
                switch message {
                case .esp(let bytes):
                    var reader = ByteReader(bytes)
                    _ = ESPHeader.parse(&reader)
                case .ike(let bytes):
                    _ = IKEv2Parser.parseMessage(bytes, range: 0..<bytes.count)
                }
            }
        }
        _ = streams.takeProblems()
    }
}
