import SpiglassWire

public enum FuzzHarness {
    public static func wire(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let bytes = Array(data.dropFirst())
        let types: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .raw, .rawIPv4, .rawIPv6, .null, .loop]
        guard case .success(let link) = LinkDecoder.decode(bytes, length: bytes.count, as: types[Int(first) % types.count]) else { return }
        guard case .success(let ip) = IPLayer.parse(bytes, offset: link.networkOffset, length: bytes.count, announcedVersion: link.announcedVersion) else { return }
        _ = IPsecLayers.classify(bytes, protocolNumber: ip.protocolNumber, start: ip.headerEnd, end: ip.end)
    }
}
