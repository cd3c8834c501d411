// Writes the seed corpora of the fuzz targets (Fuzz/corpus/<target>/) from the fixtures:
// capture frames, the IKE messages in them (re-sealed for the `ikev2` reconstruction keys),
// ESP packets built with the `esp` target's SAs, TCP streams and IP fragments made from
// fixture packets, and key files. Not a fuzz target: run.sh --seeds builds it without
// sanitizers. Usage: fuzz-seeds REPO_ROOT OUTPUT_DIR [EXTRA_DIR...] (extra directories are
// searched for more captures and key files, e.g. ../shared/corpus).
import Foundation
import FuzzHarness
import SpiglassCapture
import SpiglassESP
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write("usage: fuzz-seeds REPO_ROOT OUTPUT_DIR [EXTRA_DIR...]\n".data(using: .utf8)!)
    exit(1)
}
let root = arguments[1]
let output = arguments[2]
let extras = Array(arguments.dropFirst(3))
let fm = FileManager.default

/// Seeds per target, capped so that the committed corpus stays small.
let maxSeedBytes = 12_000
/// `wire` inputs run the whole pipeline per frame: smaller seeds keep it fast.
let maxWireSeedBytes = 8_000
var resealed = 0
var encrypted = 0
var written: [String: Int] = [:]
var seen: Set<[UInt8]> = []

func write(_ target: String, _ name: String, _ bytes: [UInt8]) {
    guard bytes.count <= (target == "wire" ? maxWireSeedBytes : maxSeedBytes),
        seen.insert([UInt8](target.utf8) + [0] + bytes).inserted
    else { return }
    let dir = output + "/" + target
    try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
    _ = fm.createFile(atPath: dir + "/" + safe, contents: Data(bytes))
    written[target, default: 0] += 1
}

func files(under dir: String, _ accept: (String) -> Bool) -> [String] {
    guard let walker = fm.enumerator(atPath: dir) else { return [] }
    var found: [String] = []
    while let relative = walker.nextObject() as? String {
        if accept(relative) { found.append(dir + "/" + relative) }
    }
    return found.sorted()
}

func name(_ path: String, under base: String) -> String {
    var relative = path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
    for suffix in [".pcapng", ".pcap", ".cap"] where relative.hasSuffix(suffix) {
        relative = String(relative.dropLast(suffix.count))
    }
    return relative.replacingOccurrences(of: "/", with: "-")
}

struct Frame {
    var bytes: [UInt8]
    var dlt: Int32
    var header: PacketHeader? = nil
}

func readCapture(_ path: String) -> [Frame] {
    guard let reader = try? CaptureReader(path: path) else { return [] }
    var frames: [Frame] = []
    while case .packet(let header) = reader.next(), frames.count < 2000 {
        frames.append(
            Frame(
                bytes: Array(reader.buffer[0..<min(header.capturedLength, reader.buffer.count)]), dlt: reader.linkType,
                header: header))
    }
    return frames
}

/// IP layer of a frame: (bytes from the IP header on, parsed layer).
func ipPacket(_ frame: Frame) -> ([UInt8], IPLayer)? {
    var wire = ByteReader(frame.bytes)
    guard let type = LinkType(dlt: frame.dlt), case .success(let link) = LinkDecoder.decode(&wire, as: type) else {
        return nil
    }
    let packet = Array(frame.bytes[link.networkOffset...])
    var reader = ByteReader(packet)
    guard case .success(let ip) = IPLayer.parse(&reader, announcedVersion: link.announcedVersion) else { return nil }
    return (packet, ip)
}

struct IKEFound {
    var message: [UInt8]
    var ip: IPLayer
    var ports: (source: UInt16, destination: UInt16)
    var marker: Bool
}

// MARK: - captures

var captures: [(name: String, frames: [Frame])] = []
for path in files(under: root + "/Fixtures", { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }) {
    captures.append((name(path, under: root + "/Fixtures"), readCapture(path)))
}
var extraCaptures: [(name: String, frames: [Frame])] = []
for dir in extras {
    for path in files(under: dir, { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") || $0.hasSuffix(".cap") }) {
        extraCaptures.append(("x-" + name(path, under: dir), readCapture(path)))
    }
}

// MARK: - wire: the frames of each capture, in runs of at most maxSeedBytes

func wireSeeds(_ name: String, _ frames: [Frame], maxRuns: Int) {
    guard let first = frames.first, let index = FuzzHarness.wireDLTs.firstIndex(of: first.dlt) else { return }
    var runs = 0
    var unit: [[UInt8]] = []
    var size = 1
    func flush() {
        if !unit.isEmpty {
            write("wire", "\(name)-\(runs)", [UInt8(index)] + FuzzHarness.join(unit))
            runs += 1
        }
        unit = []
        size = 1
    }
    for frame in frames where frame.dlt == first.dlt && !frame.bytes.isEmpty && frame.bytes.count < maxWireSeedBytes - 8
    {
        let time = frame.header.flatMap(oddTime)
        if size + frame.bytes.count + 4 + (time?.count ?? 0) + 4 > maxWireSeedBytes { flush() }
        if runs >= maxRuns { return }
        if let time {
            unit.append(time)
            size += time.count + 4
        }
        unit.append(frame.bytes)
        size += frame.bytes.count + 4
    }
    flush()
}
/// A `FuzzHarness.timeMarker` unit with a frame's own time, for the times only a damaged or
/// crafted capture holds (the harness otherwise makes up sound ones).
func oddTime(_ header: PacketHeader) -> [UInt8]? {
    guard header.outOfRangeFraction != nil || !header.timestamp.isRFC3339Representable else { return nil }
    let seconds = UInt64(bitPattern: header.timestamp.seconds)
    let field = UInt32(truncatingIfNeeded: header.outOfRangeFraction ?? Int64(header.timestamp.microseconds))
    let secondsAfterCarry =
        header.outOfRangeFraction == nil
        ? seconds
        : UInt64(
            bitPattern: header.timestamp.seconds
                &- (header.outOfRangeFraction! - Int64(header.timestamp.microseconds)) / 1_000_000)
    return FuzzHarness.timeMarker
        + (0..<8).map { UInt8(truncatingIfNeeded: secondsAfterCarry >> (56 - 8 * UInt64($0))) }
        + (0..<4).map { UInt8(truncatingIfNeeded: field >> (24 - 8 * UInt32($0))) }
}
for capture in captures { wireSeeds(capture.name, capture.frames, maxRuns: 4) }
for capture in extraCaptures { wireSeeds(capture.name, capture.frames, maxRuns: 1) }

// MARK: - IKE messages

func ikeMessages(_ frames: [Frame]) -> [IKEFound] {
    var found: [IKEFound] = []
    for frame in frames {
        guard let (packet, ip) = ipPacket(frame), ip.fragment == nil else { continue }
        let layers = IPsecLayers.classify(ByteReader(packet, range: ip.payloadRange), protocolNumber: ip.protocolNumber)
        if case .ike(let header, let ports, let marker) = layers.payload {
            let end = min(header.range.lowerBound + Int(header.length), packet.count)
            guard end > header.range.lowerBound + 28 else { continue }
            found.append(
                IKEFound(message: Array(packet[header.range.lowerBound..<end]), ip: ip, ports: ports, marker: marker))
        }
    }
    return found
}

let realIKEKeys = FuzzHarness.wireKeys.ikeSAs.filter { $0.version == .v2 }
func key(in keys: [IKESecurityAssociation], for message: [UInt8]) -> IKESecurityAssociation? {
    guard let header = IKEHeader.parse(message, range: 0..<message.count) else { return nil }
    return keys.first {
        $0.initiatorSPI == header.initiatorSPI && ($0.responderSPI == nil || $0.responderSPI == header.responderSPI)
    }
}

/// The plaintext of a fixture message's SK/SKF payload, opened with its real keys.
func open(_ message: [UInt8]) -> IKEv2Plaintext? {
    guard let header = IKEHeader.parse(message, range: 0..<message.count), header.isEncrypted,
        let sa = key(in: realIKEKeys, for: message), let protection = try? IKEv2MessageProtection(sa: sa),
        case .success(let plain) = protection.open(
            message: message, messageRange: 0..<message.count, sentByInitiator: header.isInitiator)
    else { return nil }
    return plain
}

/// A fixture message with its SK/SKF payload re-sealed under `sa`, or nil when it has none
/// (or none that opens).
func reseal(_ message: [UInt8], with sa: IKESecurityAssociation, plain: IKEv2Plaintext) -> [UInt8]? {
    guard let header = IKEHeader.parse(message, range: 0..<message.count),
        let protection = try? IKEv2MessageProtection(sa: sa)
    else { return nil }
    let fragment = plain.fragmentNumber.map { ($0, plain.totalFragments ?? $0) }
    return try? protection.seal(
        header: Array(message[0..<28]), firstPayloadType: plain.firstPayloadType, payloads: plain.payloads,
        sentByInitiator: header.isInitiator, fragment: fragment,
        iv: [UInt8](repeating: 0x5a, count: protection.ivLength))
}

func reconstructionUnit(_ found: IKEFound, _ message: [UInt8]) -> [UInt8] {
    let v6 = found.ip.version == 6
    let transport: UInt8 = found.marker ? 1 : 0
    return [(v6 ? 1 : 0) | transport << 1] + found.ip.source.bytes + found.ip.destination.bytes
        + [
            UInt8(found.ports.source >> 8), UInt8(found.ports.source & 0xff), UInt8(found.ports.destination >> 8),
            UInt8(found.ports.destination & 0xff),
        ]
        + message
}

var allIKE: [IKEFound] = []
var plaintexts: [(IKEv2Plaintext, [UInt8])] = []
for capture in captures + extraCaptures {
    let messages = ikeMessages(capture.frames)
    guard !messages.isEmpty else { continue }
    allIKE += messages
    // Reconstruction: the whole exchange sequence, SK payloads re-sealed for the fuzz keys.
    var units: [[UInt8]] = []
    for found in messages {
        var message = found.message
        if IKEHeader.parse(message, range: 0..<message.count).map({ $0.isIKEv2 && $0.isEncrypted }) == true {
            encrypted += 1
        }
        if let plain = open(message) {
            plaintexts.append((plain, message))
            if let sa = key(in: FuzzHarness.reconstructionKeys, for: message),
                let sealed = reseal(message, with: sa, plain: plain)
            {
                message = sealed
                resealed += 1
            }
        }
        units.append(reconstructionUnit(found, message))
    }
    var chunk: [[UInt8]] = []
    var part = 0
    for unit in units {
        if FuzzHarness.join(chunk + [unit]).count + 1 > maxSeedBytes || chunk.count >= FuzzHarness.maxUnits - 1 {
            write("ikev2", "story-\(capture.name)-\(part)", [3] + FuzzHarness.join(chunk))
            part += 1
            chunk = []
        }
        chunk.append(unit)
    }
    if !chunk.isEmpty { write("ikev2", "story-\(capture.name)-\(part)", [3] + FuzzHarness.join(chunk)) }
}
// Single messages for the parser, and decrypted payload chains.
for (index, found) in allIKE.enumerated() {
    write("ikev2", "message-\(index)", [0] + found.message)
}
for (index, (plain, _)) in plaintexts.enumerated() {
    write("ikev2", "chain-\(index)", [1, plain.firstPayloadType] + plain.payloads)
}
// Protection: a few decrypted fixture messages sealed again under each of the target's keys.
for (index, (plain, message)) in plaintexts.prefix(6).enumerated() {
    guard let header = IKEHeader.parse(message, range: 0..<message.count) else { continue }
    for (k, sa) in FuzzHarness.ikeProtectionSAs.enumerated() {
        guard let sealed = reseal(message, with: sa, plain: plain) else { continue }
        let config = UInt8(2 | k << 2) | (header.isInitiator ? 0x20 : 0) | (index % 2 == 0 ? 0x40 : 0)
        write("ikev2", "open-\(index)-key\(k)", [config] + sealed)
    }
}

// MARK: - esp: packets built with each SA of the target, with and without ESN

let innerPacket: [UInt8] = {
    // IPv4/UDP 10.1.0.1:1234 → 10.2.0.1:5678, 12 bytes of data.
    var p: [UInt8] =
        [
            0x45, 0, 0, 40, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 1, 10, 2, 0, 1,
            0x04, 0xd2, 0x16, 0x2e, 0, 20, 0, 0,
        ] + Array("fuzz payload".utf8)
    p.setBE16(10, internetChecksum(p, 0..<20))
    return p
}()
for (index, sa) in FuzzHarness.espSAs.enumerated() {
    for esn in [false, true] {
        var variant = sa
        variant.extendedSequenceNumbers = esn
        guard let builder = try? ESPPacketBuilder(sa: variant) else { continue }
        let sequence: UInt64 = esn ? 0x1_0000_0005 : 5
        let iv = [UInt8](repeating: 0x42, count: sa.encryption.ivLength)
        guard
            let packet = try? builder.build(
                spi: sa.spi ?? 0, sequence: sequence, payload: innerPacket, nextHeader: 4, iv: iv)
        else { continue }
        let high: [UInt8] = esn ? [0, 0, 0, 1] : [0, 0, 0, 0]
        write("esp", "sa\(index)\(esn ? "-esn" : "")", [UInt8(index) | (esn ? 0x10 : 0)] + high + packet)
        if index % 4 == 0 {
            // The ESP header further into the packet, and a corrupted ICV with its diagnosis.
            write(
                "esp", "sa\(index)-offset8",
                [UInt8(index) | (esn ? 0x10 : 0) | 0x40] + high + [UInt8](repeating: 0xee, count: 8) + packet)
            var bad = packet
            bad[bad.count - 1] ^= 1
            write("esp", "sa\(index)-badicv", [UInt8(index) | (esn ? 0x10 : 0) | 0x80] + high + bad)
        }
        if esn == false, index >= 13 {
            // Transport mode (TCP) and a TFC dummy, on the SAs whose ICV the fuzzer need not forge.
            if let transport = try? builder.build(
                spi: sa.spi ?? 0, sequence: 6, payload: Array(innerPacket[20...]), nextHeader: 17, iv: iv)
            {
                write("esp", "sa\(index)-transport", [UInt8(index)] + high + transport)
            }
            if let dummy = try? builder.build(
                spi: sa.spi ?? 0, sequence: 7, payload: [1, 2, 3], nextHeader: 59, iv: iv)
            {
                write("esp", "sa\(index)-dummy", [UInt8(index)] + high + dummy)
            }
        }
    }
}

// MARK: - fragments: fixture fragments, and fixture packets cut into fragments

func fragment(_ packet: [UInt8], _ ip: IPLayer, pieces: Int, id: UInt32) -> [[UInt8]] {
    let payload = Array(packet[ip.headerEnd..<ip.end])
    let size = max(8, (payload.count / pieces + 7) / 8 * 8)
    var out: [[UInt8]] = []
    var offset = 0
    while offset < payload.count {
        let end = min(offset + size, payload.count)
        let more = end < payload.count
        if ip.version == 4 {
            var header = Array(packet[ip.headerStart..<ip.headerEnd])
            header.setBE16(2, UInt16(header.count + end - offset))
            header.setBE16(4, UInt16(truncatingIfNeeded: id))
            header.setBE16(6, UInt16(offset / 8) | (more ? 0x2000 : 0))
            header.setBE16(10, 0)
            header.setBE16(10, internetChecksum(header, 0..<header.count))
            out.append(header + payload[offset..<end])
        } else {
            var header = Array(packet[ip.headerStart..<(ip.headerStart + 40)])
            let next = header[6]
            header[6] = 44
            header.setBE16(4, UInt16(8 + end - offset))
            var fragmentHeader: [UInt8] = [next, 0, 0, 0, 0, 0, 0, 0]
            fragmentHeader.setBE16(2, UInt16(offset) | (more ? 1 : 0))
            fragmentHeader.setBE32(4, id)
            out.append(header + fragmentHeader + payload[offset..<end])
        }
        offset = end
    }
    return out
}

var cutCount = 0
for capture in captures + extraCaptures {
    var existing: [[UInt8]] = []
    for frame in capture.frames {
        guard let (packet, ip) = ipPacket(frame) else { continue }
        if ip.fragment != nil {
            existing.append(Array(packet[0..<ip.end]))
        } else if cutCount < 24, ip.end - ip.headerEnd >= 64, ip.version == 4 || ip.headerEnd == ip.headerStart + 40 {
            var pieces = fragment(packet, ip, pieces: 3, id: UInt32(0x4200 + cutCount))
            if cutCount % 3 == 1 { pieces.reverse() }
            if cutCount % 3 == 2, pieces.count > 1 { pieces.append(pieces[0]) }  // a retransmitted fragment
            write("fragments", "cut-\(capture.name)-\(cutCount)", [UInt8(cutCount % 2)] + FuzzHarness.join(pieces))
            cutCount += 1
        }
    }
    if !existing.isEmpty {
        write(
            "fragments", "fixture-\(capture.name)",
            [0] + FuzzHarness.join(Array(existing.prefix(FuzzHarness.maxUnits - 1))))
    }
}

// MARK: - tcp: RFC 8229 streams made of fixture IKE messages and ESP packets

func tcpSegment(_ connection: UInt8, sequence: UInt32, flags: UInt8, payload: ArraySlice<UInt8>) -> [UInt8] {
    var header: [UInt8] = [connection, 0xc3, 0x50, 0x11, 0x94] + [UInt8](repeating: 0, count: 16)
    header.setBE32(5, sequence)
    header[13] = 0x50
    header[14] = flags
    return header + payload
}

var espBodies: [[UInt8]] = []
for capture in captures {
    for frame in capture.frames.prefix(8) {
        guard let (packet, ip) = ipPacket(frame), ip.fragment == nil else { continue }
        if case .esp(let header, _) = IPsecLayers.classify(
            ByteReader(packet, range: ip.payloadRange), protocolNumber: ip.protocolNumber
        ).payload {
            espBodies.append(Array(packet[header.range]))
        }
    }
}
for seed in 0..<12 {
    var stream: [UInt8] = seed % 2 == 0 ? Array("IKETCP".utf8) : []
    for i in 0..<3 {
        if i % 2 == 0, !allIKE.isEmpty {
            let message = allIKE[(seed * 3 + i) % allIKE.count].message
            stream += [UInt8((message.count + 6) >> 8), UInt8((message.count + 6) & 0xff), 0, 0, 0, 0] + message
        } else if !espBodies.isEmpty {
            let body = espBodies[(seed * 5 + i) % espBodies.count]
            stream += [UInt8((body.count + 2) >> 8), UInt8((body.count + 2) & 0xff)] + body
        }
    }
    let connection = UInt8(seed % 4)
    var segments: [[UInt8]] = [tcpSegment(connection, sequence: 999, flags: 0x02, payload: [])]
    let size = [100, 300, 537, 1400][seed % 4]
    var offset = 0
    while offset < stream.count {
        let end = min(offset + size, stream.count)
        segments.append(
            tcpSegment(connection, sequence: 1000 + UInt32(offset), flags: 0x18, payload: stream[offset..<end]))
        offset = end
    }
    if seed % 3 == 1, segments.count > 3 { segments.swapAt(1, 2) }  // reordered
    if seed % 3 == 2, segments.count > 2 { segments.insert(segments[1], at: 3) }  // retransmitted
    if seed % 4 == 3 {
        segments.append(tcpSegment(connection, sequence: 1000 + UInt32(stream.count), flags: 0x11, payload: []))
    }
    write("tcp", "stream-\(seed)", [UInt8(seed % 2)] + FuzzHarness.join(segments))
}

// MARK: - keyfiles: the fixtures' key files (and the extra directories'), detected and forced

let keySuffixes = [
    ".spiglass", "esp_sa", "ikev2_decryption_table", "ikev1_decryption_table", ".tcpdump-secrets", ".keys",
    "esp-secrets.txt", ".conf", ".log", ".xfrm", ".setkey", "xfrm-policy.txt", "xfrm-policy-s.txt",
    "setkey-dp-linux.txt",
    "setkey-dp-bsd.txt", "list-conns-A.txt",
]
// Of the strongSwan configurations, swanctl.conf is a policy source; strongswan.conf is not.
var keyFiles = files(
    under: root + "/Fixtures",
    { path in
        keySuffixes.contains { path.hasSuffix($0) } && (!path.contains("/config/") || path.contains("/config/swanctl-"))
    })
for dir in extras { keyFiles += files(under: dir, { path in keySuffixes.contains { path.hasSuffix($0) } }) }
for path in keyFiles {
    guard var text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
    let detected = KeyFileLoader.detect(text)
    if path.hasSuffix(".conf") && detected == nil { continue }
    if text.utf8.count > maxSeedBytes - 1 {
        // strongSwan logs: keep the lines a key parser reads, up to the size cap.
        let lines = text.split(separator: "\n").filter { line in
            [
                "selected proposal", "SK_", "Sk_", "SPI", "established", "CHILD_SA", "IKE_SA", "encryption",
                "integrity", "key",
            ].contains { line.contains($0) }
        }
        text = ""
        for line in lines where text.utf8.count + line.utf8.count < maxSeedBytes - 2 { text += line + "\n" }
    }
    let base = name(path, under: root)
    let format = detected.flatMap { KeyFileFormat.allCases.firstIndex(of: $0) }.map { UInt8($0 + 1) } ?? 0
    write("keyfiles", base, [0] + Array(text.utf8))
    write("keyfiles", base + "-forced", [format | 0x80] + Array(text.utf8))
}

print("IKEv2 messages with SK/SKF: \(encrypted), re-sealed for the reconstruction keys: \(resealed)")
for (target, count) in written.sorted(by: { $0.key < $1.key }) { print("\(target): \(count) seeds") }
