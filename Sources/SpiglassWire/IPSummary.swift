/// The protocol column and the info of an IP packet that is not IPsec, as tshark writes them:
/// "TCP" "57985 → 22 [ACK] Win=331 Len=0", "UDP" "5353 → 5353 Len=120", "ICMP" "Echo (ping)
/// request id=0x4121, seq=1/256, ttl=64". ICMP errors also say what the packet they quote was,
/// with its SPI when it was ESP, AH or IKE: a peer rejecting a tunnel's packets shows there.
enum IPSummary {
    static func describe(_ bytes: [UInt8], ip: IPLayer, end: Int) -> (String, String) {
        let p = ip.headerEnd
        if let fragment = ip.fragment, fragment.offset != 0 {
            return (IPProtocol.name(fragment.payloadProtocol), "fragment at offset \(fragment.offset)")
        }
        switch ip.fragment?.payloadProtocol ?? ip.protocolNumber {
        case IPProtocol.tcp where p + 20 <= end:
            let flags = tcpFlags(bytes[p + 13], ns: bytes[p + 12] & 1 == 1)
            let headerLength = Int(bytes[p + 12] >> 4) * 4
            let payload = max(0, ip.end - p - headerLength)
            return (
                "TCP", "\(bytes.be16(p)) → \(bytes.be16(p + 2)) [\(flags)] Win=\(bytes.be16(p + 14)) Len=\(payload)"
            )
        case IPProtocol.udp where p + 8 <= end:
            let length = Int(bytes.be16(p + 4)) - 8
            return ("UDP", "\(bytes.be16(p)) → \(bytes.be16(p + 2)) Len=\(max(0, length))")
        case IPProtocol.icmp where p + 4 <= end:
            return ("ICMP", icmp(bytes, ip: ip, at: p, end: end))
        case IPProtocol.icmpv6 where p + 4 <= end:
            return ("ICMPv6", icmpv6(bytes, ip: ip, at: p, end: end))
        case let number:
            return (IPProtocol.name(number), "")
        }
    }

    static func tcpFlags(_ bits: UInt8, ns: Bool) -> String {
        let names: [(UInt8, String)] = [
            (0x02, "SYN"), (0x10, "ACK"), (0x08, "PSH"), (0x01, "FIN"), (0x04, "RST"), (0x20, "URG"), (0x40, "ECE"),
            (0x80, "CWR"),
        ]
        // tshark's order: FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, NS; it shows [SYN, ACK] and
        // [FIN, ACK], [PSH, ACK].
        let order: [UInt8] = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80]
        var shown = order.compactMap { bit in bits & bit != 0 ? names.first { $0.0 == bit }?.1 : nil }
        if ns { shown.append("NS") }
        return shown.isEmpty ? "<None>" : shown.joined(separator: ", ")
    }

    /// tshark shows an ICMPv4 sequence number in both byte orders ("seq=1/256"), ICMPv6's once.
    static func echo(_ bytes: [UInt8], at p: Int, end: Int, bothOrders: Bool = true) -> String {
        guard p + 8 <= end else { return "" }
        let sequence = bytes.be16(p + 6)
        let swapped = bothOrders ? "/\(sequence.byteSwapped)" : ""
        return " id=0x\(FrameSummary.hex(bytes.be16(p + 4), 4)), seq=\(sequence)\(swapped)"
    }

    /// The link-layer address option (RFC 4861 4.6.1: type 1 source, 2 target) among the
    /// options from `start`, as " from 08:00:27:be:22:93" or " is at …".
    static func linkAddress(_ bytes: [UInt8], from start: Int, end: Int, type: UInt8, prefix: String) -> String {
        var offset = start
        while offset + 8 <= end {
            let length = Int(bytes[offset + 1]) * 8
            guard length > 0 else { return "" }
            if bytes[offset] == type && length >= 8 {
                return " \(prefix) " + FrameSummary.mac(bytes, (offset + 2)..<(offset + 8))
            }
            offset += length
        }
        return ""
    }

    /// A neighbor advertisement's flags as tshark lists them: "(rtr, sol, ovr)".
    static func advertisementFlags(_ bits: UInt8) -> String {
        let names = [(UInt8(0x80), "rtr"), (0x40, "sol"), (0x20, "ovr")].filter { bits & $0.0 != 0 }.map(\.1)
        return names.isEmpty ? "" : " (\(names.joined(separator: ", ")))"
    }

    static func icmp(_ bytes: [UInt8], ip: IPLayer, at p: Int, end: Int) -> String {
        let code = bytes[p + 1]
        switch bytes[p] {
        case 0: return "Echo (ping) reply" + echo(bytes, at: p, end: end) + ", ttl=\(ip.ttl)"
        case 8: return "Echo (ping) request" + echo(bytes, at: p, end: end) + ", ttl=\(ip.ttl)"
        case 3:
            let reasons = [
                "Network unreachable", "Host unreachable", "Protocol unreachable", "Port unreachable",
                "Fragmentation needed", "Source route failed", "Network unknown", "Host unknown",
            ]
            var text = "Destination unreachable (\(Int(code) < reasons.count ? reasons[Int(code)] : "code \(code)"))"
            if code == 4 && p + 8 <= end { text += " MTU=\(bytes.be16(p + 6))" }
            return text + quoted(bytes, at: p + 8, end: end)
        case 11:
            let reason = code == 0 ? "Time to live exceeded in transit" : "Fragment reassembly time exceeded"
            return "Time-to-live exceeded (\(reason))" + quoted(bytes, at: p + 8, end: end)
        case 5: return "Redirect" + quoted(bytes, at: p + 8, end: end)
        case 12: return "Parameter problem" + quoted(bytes, at: p + 8, end: end)
        case 13: return "Timestamp request"
        case 14: return "Timestamp reply"
        case let type: return "Type \(type) code \(code)"
        }
    }

    static func icmpv6(_ bytes: [UInt8], ip: IPLayer, at p: Int, end: Int) -> String {
        let code = bytes[p + 1]
        let target = p + 24 <= end ? " \(IPAddress.read(bytes, v6At: p + 8))" : ""
        switch bytes[p] {
        case 1:
            let reasons = [
                "no route to destination", "Administratively prohibited", "Beyond scope of source address",
                "Address unreachable", "Port unreachable",
            ]
            let reason = Int(code) < reasons.count ? reasons[Int(code)] : "code \(code)"
            return "Destination Unreachable (\(reason))" + quoted(bytes, at: p + 8, end: end)
        case 2:
            return "Packet Too Big" + (p + 8 <= end ? " MTU=\(bytes.be32(p + 4))" : "")
                + quoted(bytes, at: p + 8, end: end)
        case 3: return "Time Exceeded (hop limit exceeded in transit)" + quoted(bytes, at: p + 8, end: end)
        case 4: return "Parameter Problem" + quoted(bytes, at: p + 8, end: end)
        case 128:
            return "Echo (ping) request" + echo(bytes, at: p, end: end, bothOrders: false) + ", hop limit=\(ip.ttl)"
        case 129:
            return "Echo (ping) reply" + echo(bytes, at: p, end: end, bothOrders: false) + ", hop limit=\(ip.ttl)"
        case 130: return "Multicast Listener Query"
        case 131: return "Multicast Listener Report"
        case 132: return "Multicast Listener Done"
        case 133: return "Router Solicitation" + linkAddress(bytes, from: p + 8, end: end, type: 1, prefix: "from")
        case 134: return "Router Advertisement" + linkAddress(bytes, from: p + 16, end: end, type: 1, prefix: "from")
        case 135:
            return "Neighbor Solicitation for" + target
                + linkAddress(bytes, from: p + 24, end: end, type: 1, prefix: "from")
        case 136:
            let flags = p + 5 <= end ? advertisementFlags(bytes[p + 4]) : ""
            return "Neighbor Advertisement" + target + flags
                + linkAddress(bytes, from: p + 24, end: end, type: 2, prefix: "is at")
        case 137: return "Redirect"
        case 143: return "Multicast Listener Report Message v2"
        case let type: return "Unknown ICMPv6 type \(type) code \(code)"
        }
    }

    /// What an ICMP error quotes (RFC 792: the IP header and at least 8 bytes of its payload;
    /// RFC 4443: as much as fits), when it reads as an IP packet: ", quoting ESP
    /// spi=0x0000000a seq=240 10.0.0.1 → 10.0.0.2".
    static func quoted(_ bytes: [UInt8], at start: Int, end: Int) -> String {
        guard start < end else { return "" }
        var reader = ByteReader(bytes, range: start..<end)
        guard case .success(let ip) = IPLayer.parse(&reader) else { return "" }
        let p = ip.headerEnd
        let available = end - p
        let flow = "\(ip.source) → \(ip.destination)"
        switch ip.protocolNumber {
        case IPProtocol.esp where available >= 8:
            return ", quoting ESP spi=\(SPI(bytes.be32(p)).description) seq=\(bytes.be32(p + 4)) \(flow)"
        case IPProtocol.esp where available >= 4:
            return ", quoting ESP spi=\(SPI(bytes.be32(p)).description) \(flow)"
        case IPProtocol.ah where available >= 8:
            return ", quoting AH spi=\(SPI(bytes.be32(p + 4)).description) \(flow)"
        case IPProtocol.udp where available >= 8:
            return ", quoting " + quotedUDP(bytes, at: p, available: available) + " " + flow
        case IPProtocol.tcp where available >= 4:
            return ", quoting TCP \(bytes.be16(p)) → \(bytes.be16(p + 2)) \(flow)"
        case let number:
            return ", quoting \(IPProtocol.name(number)) \(flow)"
        }
    }

    /// A quoted UDP datagram: IKE with its initiator's SPI, ESP-in-UDP with its SPI (RFC 3948:
    /// on 4500 four zero bytes are the non-ESP marker before IKE), or the ports.
    static func quotedUDP(_ bytes: [UInt8], at p: Int, available: Int) -> String {
        let source = bytes.be16(p)
        let destination = bytes.be16(p + 2)
        let ports = "\(source) → \(destination)"
        let ikePorts: Set<UInt16> = [500, 4500]
        guard ikePorts.contains(source) || ikePorts.contains(destination) else { return "UDP \(ports)" }
        let natT = source == 4500 || destination == 4500
        var ike = p + 8
        if natT {
            guard available >= 12 else { return "UDP \(ports)" }
            if bytes.be32(p + 8) != 0 {
                return "ESP-in-UDP \(ports) spi=\(SPI(bytes.be32(p + 8)).description)"
            }
            ike += 4
        }
        guard ike + 8 <= p + available else { return "UDP \(ports)" }
        let spi = (ike..<(ike + 8)).map { FrameSummary.hex(UInt16(bytes[$0]), 2) }.joined()
        return "IKE \(ports) ispi=\(spi)"
    }
}
