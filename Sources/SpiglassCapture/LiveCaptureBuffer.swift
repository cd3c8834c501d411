import Glibc

/// The size of a live capture's ring when `-B` does not give one: 100 ms of the link at its
/// line rate, so that the capture rides out a stall of the reading threads that long (a page
/// fault storm, a slow disk under -w, a burst above what decryption keeps up with) at full
/// speed. libpcap's own default (2 MiB, tcpdump's) holds 6 ms of a 3 Gbit/s link.
public enum LiveCaptureBuffer {
    /// Fewer bytes than this never (a 1 Gbit/s link would get 12.5 MB).
    public static let minimumDefault = 16 << 20
    /// More never by default (a 10 Gbit/s link gets 125 MB): it is kernel memory, locked.
    public static let maximumDefault = 128 << 20
    /// When the link does not say its speed ('any', loopback, tunnels, a link that is down).
    public static let unknownSpeedDefault = 32 << 20
    /// How long a stall the default ring absorbs at line rate.
    public static let defaultMilliseconds = 100

    /// The default ring size for `interface`, from its speed in /sys/class/net.
    public static func defaultBytes(interface: String) -> Int {
        guard let megabits = linkSpeed(interface: interface) else { return unknownSpeedDefault }
        return bytes(megabitsPerSecond: megabits)
    }

    /// `defaultMilliseconds` of a link of this speed, within the default bounds.
    public static func bytes(megabitsPerSecond megabits: Int) -> Int {
        guard megabits > 0 else { return unknownSpeedDefault }
        // 125 bytes a millisecond per Mbit/s.
        let wanted = megabits.multipliedReportingOverflow(by: 125 * defaultMilliseconds)
        return wanted.overflow ? maximumDefault : min(max(wanted.partialValue, minimumDefault), maximumDefault)
    }

    /// The link's speed in Mbit/s as the kernel reports it, or nil (not known, not a plain
    /// interface name).
    static func linkSpeed(interface: String) -> Int? {
        guard !interface.isEmpty, interface.count < 64, !interface.contains("/"), interface != ".", interface != ".."
        else { return nil }
        let descriptor = open("/sys/class/net/\(interface)/speed", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        // "10000\n"; "-1\n" for a link that is down or does not know.
        let line = String(decoding: bytes[0..<count], as: UTF8.self).prefix { $0 != "\n" }
        guard let speed = Int(line), speed > 0 else { return nil }
        return speed
    }
}
