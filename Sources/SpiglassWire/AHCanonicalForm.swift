/// The bytes an AH ICV covers (RFC 4302 3.3.3.1): the IP packet with every field that may
/// change in transit set to zero (or, for source routes, to its value at the destination),
/// and the ICV itself zeroed. Built in a reused buffer.
public enum AHCanonicalForm {
    /// IPv4 options that do not change in transit (RFC 4302 Appendix A.1, as Linux's ah4.c
    /// reads it): end of list, no-op, the security options, router alert, SDBM.
    static let immutableIPv4Options: Set<UInt8> = [0, 1, 130, 133, 134, 148, 149]

    /// Writes the canonical form of `packet[ip.headerStart..<ip.end]` into `output` from 0
    /// and returns its length, or nil when the headers are inconsistent. `icv` (in `packet`)
    /// is the ICV proper, zeroed: the start of the AH's ICV field for the MACs, the 16-byte tag
    /// after the IV for RFC 4543 GMAC. The rest of the field stays as sent: the GMAC IV ("the
    /// IV is included in the AAD", RFC 4543 7) and the alignment padding (RFC 4302 3.3.3.2.1:
    /// "These padding bytes are included in the ICV calculation").
    public static func build(_ packet: [UInt8], ip: IPLayer, ah: AHHeader, icv: Range<Int>, into output: inout [UInt8])
        -> Int?
    {
        let start = ip.headerStart
        let length = ip.end - start
        guard length > 0, ah.range.lowerBound >= ip.headerEnd, ah.range.upperBound <= ip.end,
            icv.lowerBound >= ah.icvRange.lowerBound, icv.upperBound <= ah.icvRange.upperBound
        else { return nil }
        copyBytes(packet, start..<ip.end, into: &output, at: 0)
        for i in icv { output[i - start] = 0 }
        if ip.version == 4 {
            guard zeroIPv4(&output, headerLength: ip.headerEnd - start) else { return nil }
        } else {
            guard zeroIPv6(&output, upTo: ah.range.lowerBound - start) else { return nil }
        }
        return length
    }

    static func zeroIPv4(_ p: inout [UInt8], headerLength: Int) -> Bool {
        p[1] = 0  // DSCP/ECN
        p[6] = 0
        p[7] = 0  // flags and fragment offset
        p[8] = 0  // TTL
        p[10] = 0
        p[11] = 0  // header checksum
        var i = 20
        while i < headerLength {
            let type = p[i]
            if type == 0 { break }
            if type == 1 {
                i += 1
                continue
            }
            guard i + 1 < headerLength else { return false }
            let optionLength = Int(p[i + 1])
            guard optionLength >= 2, i + optionLength <= headerLength else { return false }
            if type == 131 || type == 137 {
                // Loose/strict source route: the ICV is computed with the final destination.
                let last = i + optionLength - 4
                if optionLength >= 7, last >= i + 3 {
                    for k in 0..<4 { p[16 + k] = p[last + k] }
                }
            }
            if !immutableIPv4Options.contains(type) {
                for k in i..<(i + optionLength) { p[k] = 0 }
            }
            i += optionLength
        }
        return true
    }

    /// Zeroes the mutable parts of the IPv6 header and of the extension headers before AH.
    static func zeroIPv6(_ p: inout [UInt8], upTo ahOffset: Int) -> Bool {
        p[0] = 0x60
        p[1] = 0
        p[2] = 0
        p[3] = 0  // traffic class and flow label
        p[7] = 0  // hop limit
        var next = p[6]
        var cursor = 40
        var count = 0
        while cursor < ahOffset {
            guard count < IPLayer.maxExtensionHeaders, cursor + 8 <= ahOffset else { return false }
            let headerLength = (Int(p[cursor + 1]) + 1) * 8
            guard cursor + headerLength <= ahOffset else { return false }
            switch next {
            case IPProtocol.hopByHop, IPProtocol.destinationOptions:
                // Options whose type has the 0x20 bit may change en route: their data is zeroed.
                var i = cursor + 2
                while i < cursor + headerLength {
                    let type = p[i]
                    if type == 0 {
                        i += 1
                        continue
                    }  // Pad1
                    guard i + 1 < cursor + headerLength else { return false }
                    let dataLength = Int(p[i + 1])
                    guard i + 2 + dataLength <= cursor + headerLength else { return false }
                    if type & 0x20 != 0 { for k in (i + 2)..<(i + 2 + dataLength) { p[k] = 0 } }
                    i += 2 + dataLength
                }
            case IPProtocol.routing:
                rearrangeRoutingHeader(&p, at: cursor, length: headerLength)
            case IPProtocol.fragment:
                return false  // AH is computed over whole datagrams, after reassembly.
            default:
                return false
            }
            next = p[cursor]
            cursor += headerLength
            count += 1
        }
        return next == IPProtocol.ah
    }

    /// RFC 4302 A.2: a routing header is "mutable but predictable": the ICV uses the values
    /// the destination will see, with segments left 0 and the final destination in place.
    static func rearrangeRoutingHeader(_ p: inout [UInt8], at offset: Int, length: Int) {
        let type = p[offset + 2]
        let segmentsLeft = Int(p[offset + 3])
        guard segmentsLeft > 0 else { return }
        p[offset + 3] = 0
        guard type == 0 || type == 2 else { return }
        let segments = (length - 8) / 16
        guard segments > 0, segmentsLeft <= segments else { return }
        let base = offset + 8
        let finalAddress = Array(p[(base + (segments - 1) * 16)..<(base + segments * 16)])
        let first = segments - segmentsLeft
        // Shift the not-yet-visited addresses one slot right and put the current destination first.
        if segmentsLeft > 1 {
            for slot in stride(from: segments - 1, to: first, by: -1) {
                for k in 0..<16 { p[base + slot * 16 + k] = p[base + (slot - 1) * 16 + k] }
            }
        }
        for k in 0..<16 { p[base + first * 16 + k] = p[24 + k] }
        for k in 0..<16 { p[24 + k] = finalAddress[k] }
    }
}
