import SpiglassWire

extension [UInt8] {
    /// Writes the IPv4 header fields a generated packet needs over its first 20 bytes (version
    /// 4, 20-byte header, TTL 64, the total length, protocol and addresses), then its checksum;
    /// the other fields (type of service, identification, flags and fragment offset) stay as
    /// the caller set them.
    mutating func setIPv4Header(totalLength: Int, protocolNumber: UInt8, source: UInt32, destination: UInt32) {
        self[0] = 0x45
        setBE16(2, UInt16(totalLength))
        self[8] = 64
        self[9] = protocolNumber
        setBE32(12, source)
        setBE32(16, destination)
        // Computed over the header with the checksum field zero.
        setBE16(10, 0)
        setBE16(10, internetChecksum(self, 0..<20))
    }
}
