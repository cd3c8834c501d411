internal import CPcap
import Glibc

extension CaptureReader {
    /// libpcap's reader of the capture `file` holds, which then owns `file` (and closes it in
    /// `pcap_close`). When libpcap refuses it, `file` is closed and the error says why in
    /// libpcap's words, as `reason` puts them for a file opened that way (gzip'd, a stream).
    static func offlineHandle(
        _ file: UnsafeMutablePointer<FILE>, resolution: TimestampResolution, path: String,
        reason: (String) -> String
    ) throws -> OpaquePointer {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let precision = pcapPrecision(resolution)
        let opened = errorBuffer.withUnsafeMutableBufferPointer {
            pcap_fopen_offline_with_tstamp_precision(file, precision, $0.baseAddress)
        }
        guard let handle = opened else {
            fclose(file)
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CaptureError(.cannotOpen, "cannot read capture '\(path)': \(reason(message))")
        }
        return handle
    }
}
