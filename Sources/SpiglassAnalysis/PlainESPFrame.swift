import SpiglassWire

/// The outermost SPI of the frame a parallel run's reader sees most: IPv4 without options and
/// not a fragment, carrying ESP (RFC 4303) or ESP in UDP on port 4500 (RFC 3948), on a link
/// whose header has a fixed length, read at fixed offsets instead of through the full dissection
/// (`FrameRouter.route`), which costs as much as the reading itself. It accepts a frame only
/// where the full dissection would find the same SPI and nothing else (no IKE, no AH, no
/// fragment, no VLAN tag); any other frame gets nil and goes the long way.
struct PlainESPFrame {
    // Offsets (RFC 791 IPv4, RFC 768 UDP).
    static let ipHeaderLength = 20
    static let udpHeaderLength = 8
    /// An ESP header: SPI and sequence number.
    static let espHeaderLength = 8

    /// Where IPv4 starts on a link, and where its EtherType is (nil: the link has none); nil
    /// for links whose header varies (loopback families are left to the full dissection).
    static func layout(_ link: LinkType) -> (ipStart: Int, etherType: Int?)? {
        switch link {
        case .ethernet: (14, 12)  // RFC 894, untagged
        case .linuxSLL: (16, 14)
        case .linuxSLL2: (20, 0)
        case .raw, .rawIPv4: (0, nil)
        case .rawIPv6, .null, .loop: nil
        }
    }

    let spi: SPI

    /// `bytes[0..<length]`, captured on a link laid out as `layout` says.
    init?(_ bytes: [UInt8], length: Int, layout: (ipStart: Int, etherType: Int?)) {
        let ip = layout.ipStart
        guard length >= ip + PlainESPFrame.ipHeaderLength + PlainESPFrame.espHeaderLength, length <= bytes.count
        else { return nil }
        let found: UInt32? = bytes.withUnsafeBufferPointer { frame in
            // EtherType IPv4 (no VLAN tag), version 4 with a 20-byte header, and neither more
            // fragments nor a fragment offset (the DF bit may be set).
            if let type = layout.etherType, frame[type] != 0x08 || frame[type + 1] != 0x00 { return nil }
            guard frame[ip] == 0x45, frame[ip + 6] & 0x3f == 0, frame[ip + 7] == 0 else { return nil }
            // Where the datagram ends, as `IPLayer.parseV4` finds it: its total length (0 for a
            // TSO capture: what was captured), never past the capture.
            let totalLength = Int(frame[ip + 2]) << 8 | Int(frame[ip + 3])
            guard totalLength == 0 || totalLength >= PlainESPFrame.ipHeaderLength else { return nil }
            let end = totalLength == 0 ? length : min(ip + totalLength, length)
            let start = ip + PlainESPFrame.ipHeaderLength
            switch frame[ip + 9] {
            case IPProtocol.esp:
                guard end - start >= PlainESPFrame.espHeaderLength else { return nil }
                return PlainESPFrame.be32(frame, start)
            case IPProtocol.udp:
                // ESP in UDP: port 4500 either way, an ESP header's worth of payload (within
                // the UDP length when that is consistent, as `IPsecLayers.classifyUDP` trusts
                // it), and not the non-ESP marker (four zero bytes: IKE).
                guard end - start >= PlainESPFrame.udpHeaderLength else { return nil }
                let sourcePort = Int(frame[start]) << 8 | Int(frame[start + 1])
                let destinationPort = Int(frame[start + 2]) << 8 | Int(frame[start + 3])
                let natTraversal = Int(IPsecPorts.natTraversal)
                guard sourcePort == natTraversal || destinationPort == natTraversal else { return nil }
                let udpLength = Int(frame[start + 4]) << 8 | Int(frame[start + 5])
                let payloadEnd =
                    udpLength >= PlainESPFrame.udpHeaderLength && start + udpLength <= end ? start + udpLength : end
                let payload = start + PlainESPFrame.udpHeaderLength
                guard payloadEnd - payload >= PlainESPFrame.espHeaderLength else { return nil }
                let spi = PlainESPFrame.be32(frame, payload)
                return spi == 0 ? nil : spi
            default:
                return nil
            }
        }
        guard let found else { return nil }
        spi = SPI(found)
    }

    private static func be32(_ frame: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        UInt32(frame[at]) << 24 | UInt32(frame[at + 1]) << 16 | UInt32(frame[at + 2]) << 8 | UInt32(frame[at + 3])
    }
}
