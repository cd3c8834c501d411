import SpiglassCapture
import SpiglassSAD
import SpiglassWire

/// Where the pipeline hands packets to the policy check (`PolicyCheck`): a decrypted or
/// AH-verified inner packet, and a packet seen in clear.
extension Analyzer {
    /// One decrypted layer's inner packet (`inbound.inner` holds it), checked against the selectors of
    /// the SA of `flowNumber`, whose packets travelled `outer` (the packet the SA protected).
    func checkDecryptedPolicy(
        flowNumber: Int, ipsecProtocol: IPsecProtocol, spi: SPI, tunnel: Bool?, outer: IPLayer,
        innerIP: IPLayer
    ) {
        let sa = ProtectingSA(
            ipsecProtocol: ipsecProtocol, spi: spi, outerSource: outer.source, outerDestination: outer.destination,
            tunnel: tunnel)
        let packet = PacketSummary.of(inbound.inner, ip: innerIP)
        guard
            let note = policyCheck.checkDecrypted(
                &flows[flowNumber].policy, sa: sa, packet: packet, frame: record.frame,
                time: record.timestamp)
        else { return }
        // The innermost layer's verdict is the packet's; the first layer outside its selectors is named.
        if record.policy == nil { record.policy = note }
    }

    /// A packet on the wire that is not IPsec: a leak when a PROTECT policy covers it.
    func checkCleartextPolicy(_ bytes: [UInt8], ip: IPLayer) {
        let packet = PacketSummary.of(bytes, ip: ip)
        // RFC 8229 streams carry IKE and ESP: they are IPsec, whatever a segment holds.
        if packet.protocolNumber == IPProtocol.tcp, let source = packet.sourcePort,
            let destination = packet.destinationPort,
            options.tcpEncapsulationPorts.contains(source) || options.tcpEncapsulationPorts.contains(destination)
        {
            return
        }
        if let note = policyCheck.checkCleartext(packet, frame: record.frame, time: record.timestamp) {
            record.policy = note
        }
    }
}
