import SpiglassCapture
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// IKE: every message goes to the reconstruction; CHILD_SAs it keys from SK_d join the SAD
/// at once, so the ESP that follows decrypts in the same pass.
extension Analyzer {
    func processIKE(
        _ bytes: [UInt8], range: Range<Int>, source: IPAddress, destination: IPAddress,
        ports: (source: UInt16, destination: UInt16), transport: IKETransport, cut: Bool = false
    ) {
        var datagram = IKEDatagram(
            frame: record.frame, time: record.timestamp, source: source,
            destination: destination, sourcePort: ports.source, destinationPort: ports.destination,
            transport: transport, bytes: bytes, range: range)
        datagram.cutByCapture = cut
        record.ikeMessage = ike.process(datagram)
        if record.ikeMessage?.captureDuplicateOf != nil { record.verdict = .captureDuplicate }
    }

    /// Adds an SA derived from IKE keys to the ESP (or AH) database and matches the flows
    /// that had no SA against it.
    func addDerived(_ sa: SecurityAssociation) {
        sas.add(sa)
        for index in flows.indices
        where flows[index].saIndex == nil && flows[index].key.ipsecProtocol == sa.ipsecProtocol {
            if let match = sas.lookup(flows[index].key) {
                flows[index].saIndex = match.index
                flows[index].saMatch = match.match
            }
        }
    }

    /// Names each ESP/AH flow's CHILD_SA (at the end: packets look theirs up as they come).
    func attachFlowsToChildren() {
        for index in flows.indices where flows[index].childSA == nil {
            flows[index].childSA = ike.childSA(spi: flows[index].key.spi)
        }
    }
}
