import SpiglassCapture
import SpiglassWire

/// Frames that are not IPsec, named for the text packet list as tshark names them.
extension Analyzer {
    /// Whether the run shows non-IPsec frames by name: a text packet list that lists them.
    var namesClearFrames: Bool {
        options.format == .text && options.report == .packets && !options.quiet
            && !(options.hideNonIPsec && record.policy == nil)
    }

    func nameClearFrame(_ bytes: [UInt8], header: PacketHeader) {
        guard let link = inputs.linkType(header.source) else { return }
        record.clearFrame = FrameSummary.of(bytes, length: header.capturedLength, link: link)
    }
}
