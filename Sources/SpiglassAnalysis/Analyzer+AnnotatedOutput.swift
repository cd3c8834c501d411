import SpiglassCapture
import SpiglassESP
import SpiglassSAD
import SpiglassWire

/// What a -w file needs beyond the plain pcap of decrypted packets, per packet: the frame's
/// link-layer header (`--keep-outer`) and the provenance comment (pcapng), in buffers reused
/// for every packet. An analyzer has one only when its run writes pcapng or keeps the outer
/// headers; the plain pcap path never touches it.
final class OutputAnnotation {
    let keepOuter: Bool
    let pcapng: Bool
    /// The link type a pcap file with `keepOuter` was opened with.
    let pcapLinkType: Int32
    /// The link-layer header of the frame at hand (`keepOuter`).
    @exclusivity(unchecked) var link: [UInt8] = []
    /// The packet written with `keepOuter`.
    @exclusivity(unchecked) var packet: [UInt8] = []
    @exclusivity(unchecked) var comment = ProvenanceComment()
    /// A frame was left out of a pcap file of another link type (said once).
    var linkTypeMismatchSaid = false

    /// Nil when `options` ask for neither pcapng nor `--keep-outer`.
    init?(_ options: AnalysisOptions) {
        guard options.writeFormat == .pcapng || options.keepOuter else { return nil }
        keepOuter = options.keepOuter
        pcapng = options.writeFormat == .pcapng
        pcapLinkType = options.writeLinkType ?? PcapWriter.rawIPLinkType
    }

    /// Keeps the link-layer header of a frame, `bytes[0..<length]`.
    func keepLink(_ bytes: [UInt8], length: Int) {
        link.removeAll(keepingCapacity: true)
        guard length > 0, length <= bytes.count else { return }
        bytes.withUnsafeBufferPointer { link.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<length])) }
    }
}

/// -w in pcapng, or with the outer headers kept: the released packet (`inbound.inner`) is put
/// back into its frame when asked, and written with its provenance comment.
extension Analyzer {
    /// Writes the released packet of the frame at hand. `outer` holds the outer IP header
    /// `ip` describes (the frame, the datagram rebuilt from fragments, or the frame that ended
    /// an RFC 8229 message); `ahOnly`: the packet was released from AH alone.
    func writeAnnotated(_ annotation: OutputAnnotation, outer: [UInt8], ip: IPLayer, ahOnly: Bool) {
        guard inbound.innerLength > 0, recordIsShown else { return }
        let written: Bool
        if annotation.keepOuter && buildKeptOuter(annotation, outer: outer, ip: ip, ahOnly: ahOnly) {
            written = writeAnnotated(
                annotation, annotation.packet, range: 0..<annotation.packet.count, dlt: inputs.dlt(record.source))
        } else {
            written = writeAnnotated(
                annotation, inbound.inner, range: 0..<inbound.innerLength, dlt: PcapWriter.rawIPLinkType)
        }
        if written { summary.written += 1 }
    }

    /// `bytes[range]`, of link type `dlt`, to the pcapng (with its comment) or the pcap.
    private func writeAnnotated(_ annotation: OutputAnnotation, _ bytes: [UInt8], range: Range<Int>, dlt: Int32)
        -> Bool
    {
        guard annotation.pcapng else {
            guard dlt == annotation.pcapLinkType else {
                if !annotation.linkTypeMismatchSaid {
                    annotation.linkTypeMismatchSaid = true
                    diagnose(
                        "--keep-outer: frame \(record.frame) is not of the -w pcap's link type, and was left out of it (write pcapng to keep every link type)"
                    )
                }
                return false
            }
            return ownership.writePacket(bytes, range: range, timestamp: record.timestamp)
        }
        annotation.comment.build(record, sad: sad, ahSAD: ahSAD) { layer in
            self.membership(layer)
        }
        return ownership.writePacketBlock(
            bytes, range: range, timestamp: record.timestamp, dlt: dlt, comment: annotation.comment.bytes,
            commentRange: 0..<annotation.comment.bytes.count)
    }

    /// The CHILD_SA and IKE SA of an ESP layer, as every worker of a parallel run knows them.
    func membership(_ layer: ESPLayer) -> ProvenanceComment.Membership {
        guard let child = layer.childSA else { return ProvenanceComment.Membership() }
        if let replica = ownership.childReplica {
            return ProvenanceComment.Membership(child: child, ikeSA: replica.selectors[layer.spi]?.ikeSA)
        }
        let ikeSA = child < ike.children.count ? ike.children[child].ikeSAIndex : nil
        return ProvenanceComment.Membership(child: child, ikeSA: ikeSA)
    }

    /// `--keep-outer`: the frame as it would have been had its ESP been sent in the clear,
    /// into `annotation.packet`. A packet released from AH alone is written as it came (AH
    /// encrypts nothing); one released from a single transport-mode ESP layer already is its
    /// outer header rebuilt around the payload (`InboundProcessor.rebuildTransport`), so only
    /// the link layer goes in front; a tunnel's inner packet (or the innermost of nested
    /// ones) goes inside the outer IP header as IP-in-IP (`OuterFrame`). False when the
    /// packet cannot be put back (then it is written alone, as raw IP).
    func buildKeptOuter(_ annotation: OutputAnnotation, outer: [UInt8], ip: IPLayer, ahOnly: Bool) -> Bool {
        annotation.packet.removeAll(keepingCapacity: true)
        let length = inbound.innerLength
        if ahOnly {
            guard ip.headerStart <= ip.end, ip.end <= outer.count else { return false }
            annotation.packet.append(contentsOf: annotation.link)
            outer.withUnsafeBufferPointer {
                annotation.packet.append(contentsOf: UnsafeBufferPointer(rebasing: $0[ip.headerStart..<ip.end]))
            }
            return true
        }
        var decryptedLayers = 0
        for layer in record.esp where layer.verdict == .decrypted { decryptedLayers += 1 }
        if decryptedLayers == 1, record.esp.first?.tunnel == false {
            annotation.packet.append(contentsOf: annotation.link)
            inbound.inner.withUnsafeBufferPointer {
                annotation.packet.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<length]))
            }
            return true
        }
        guard let carried = OuterFrame.tunnelProtocol(inbound.inner, range: 0..<length) else { return false }
        return OuterFrame.append(
            link: annotation.link, header: outer, ip: ip, protocolNumber: carried, payload: inbound.inner,
            payloadRange: 0..<length, to: &annotation.packet)
    }
}
