internal import CPcap
import Glibc

/// A capture interface, as libpcap lists it (what `tcpdump -D` prints).
public struct CaptureInterface: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var addresses: [String]
    public var isUp: Bool
    public var isRunning: Bool
    public var isLoopback: Bool
    /// "Connected", "Disconnected", or nil when not known or not applicable.
    public var connection: String?

    /// Every interface libpcap can capture on.
    public static func all() throws -> [CaptureInterface] {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>? = nil
        let status = errorBuffer.withUnsafeMutableBufferPointer { pcap_findalldevs(&list, $0.baseAddress) }
        guard status == 0 else {
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CaptureError(.cannotOpen, "cannot list interfaces: \(message)")
        }
        defer { pcap_freealldevs(list) }
        var result: [CaptureInterface] = []
        var node = list
        while let current = node {
            let device = current.pointee
            var addresses: [String] = []
            var address = device.addresses
            while let a = address {
                if let text = Self.text(of: a.pointee.addr) { addresses.append(text) }
                address = a.pointee.next
            }
            let flags = device.flags
            var connection: String? = nil
            switch flags & UInt32(PCAP_IF_CONNECTION_STATUS) {
            case UInt32(PCAP_IF_CONNECTION_STATUS_CONNECTED): connection = "Connected"
            case UInt32(PCAP_IF_CONNECTION_STATUS_DISCONNECTED): connection = "Disconnected"
            default: connection = nil
            }
            result.append(
                CaptureInterface(
                    name: String(cString: device.name),
                    description: device.description.map { String(cString: $0) },
                    addresses: addresses,
                    isUp: flags & UInt32(PCAP_IF_UP) != 0,
                    isRunning: flags & UInt32(PCAP_IF_RUNNING) != 0,
                    isLoopback: flags & UInt32(PCAP_IF_LOOPBACK) != 0,
                    connection: connection))
            node = device.next
        }
        return result
    }

    /// IPv4/IPv6 socket address as text.
    static func text(of address: UnsafeMutablePointer<sockaddr>?) -> String? {
        guard let address else { return nil }
        var host = [CChar](repeating: 0, count: 64)
        let family = Int32(address.pointee.sa_family)
        let length: Int
        switch family {
        case AF_INET: length = MemoryLayout<sockaddr_in>.size
        case AF_INET6: length = MemoryLayout<sockaddr_in6>.size
        default: return nil
        }
        let status = host.withUnsafeMutableBufferPointer {
            getnameinfo(address, socklen_t(length), $0.baseAddress, socklen_t($0.count), nil, 0, NI_NUMERICHOST)
        }
        guard status == 0 else { return nil }
        return host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
