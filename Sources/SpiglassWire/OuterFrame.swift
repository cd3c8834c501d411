/// `--keep-outer`: a decrypted packet written where its ESP was, inside the frame's link layer
/// and outer IP header, so that the file shows the path the packet took.
///
/// The outer IP header (IPv4 with its options, IPv6 with the extension headers before the
/// IPsec header) is kept; everything after it (UDP or TCP encapsulation, AH, the ESP header,
/// trailer and ICV) gives way to the payload, and the header is fixed to carry it: its
/// protocol (IPv4) or last next header (IPv6) names the payload, its total (IPv4) or payload
/// (IPv6) length counts it, an IPv4 datagram rebuilt from fragments loses its fragment
/// fields (DF stays), and the IPv4 header checksum is computed again.
public enum OuterFrame {
    /// Appends to `out` the link-layer header `link`, the outer IP header `ip` describes in
    /// `header` fixed as above to name `protocolNumber`, then `payload[payloadRange]`. False
    /// (and `out` as it was) when the result would not fit in the IP length fields.
    public static func append(
        link: [UInt8], header: [UInt8], ip: IPLayer, protocolNumber: UInt8, payload: [UInt8],
        payloadRange: Range<Int>, to out: inout [UInt8]
    ) -> Bool {
        let headerLength = ip.headerEnd - ip.headerStart
        let fixedLength = ip.version == 4 ? 20 : 40
        guard headerLength >= fixedLength, ip.headerStart >= 0, ip.headerEnd <= header.count,
            ip.protocolFieldOffset >= ip.headerStart, ip.protocolFieldOffset < ip.headerEnd,
            payloadRange.lowerBound >= 0, payloadRange.upperBound <= payload.count
        else { return false }
        // IPv4 counts the whole datagram, IPv6 what follows its fixed header.
        let counted = headerLength + payloadRange.count - (ip.version == 4 ? 0 : 40)
        guard counted <= 0xFFFF else { return false }
        out.append(contentsOf: link)
        let base = out.count
        header.withUnsafeBufferPointer {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[ip.headerStart..<ip.headerEnd]))
        }
        payload.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[payloadRange])) }
        out[base + ip.protocolFieldOffset - ip.headerStart] = protocolNumber
        if ip.version == 4 {
            out.setBE16(base + 2, UInt16(counted))
            // Flags and fragment offset: only DF stays (a datagram rebuilt from fragments is whole).
            out[base + 6] &= 0x40
            out[base + 7] = 0
            out.setBE16(base + 10, 0)
            out.setBE16(base + 10, internetChecksum(out, base..<base + headerLength))
        } else {
            out.setBE16(base + 4, UInt16(counted))
        }
        return true
    }

    /// The protocol number an IP packet is carried under (4 for IPv4, 41 for IPv6), from its
    /// version; nil when `packet[range]` is neither.
    public static func tunnelProtocol(_ packet: [UInt8], range: Range<Int>) -> UInt8? {
        guard range.lowerBound >= 0, range.lowerBound < range.upperBound, range.upperBound <= packet.count else {
            return nil
        }
        switch packet[range.lowerBound] >> 4 {
        case 4: return IPProtocol.ipv4
        case 6: return IPProtocol.ipv6
        default: return nil
        }
    }
}
