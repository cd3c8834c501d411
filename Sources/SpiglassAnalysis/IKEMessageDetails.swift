import SpiglassIKE
import SpiglassWire

/// `-V` for an IKE message: its header's fields, then every payload's summary with its fields
/// below (`IKEPayloadDetails`), the decrypted ones under the SK (or E) line that held them.
enum IKEMessageDetails {
    /// The lines, each after `indent`, nested items two spaces further.
    static func lines(_ message: IKEMessageRecord, indent: String) -> String {
        guard message.captureDuplicateOf == nil else { return "" }
        var out = [header(message.header)]
        let split = message.decryptedFrom ?? message.payloads.count
        switch message.payloads {
        case .v2(let payloads):
            for payload in payloads.prefix(split) { out += payloadLines(payload.summary, payload.body.renderer) }
            if message.header.isEncrypted { out.append(encryptedLine("SK", message)) }
            for payload in payloads.dropFirst(split) {
                out += payloadLines(payload.summary, payload.body.renderer).map { "  " + $0 }
            }
        case .v1(let payloads):
            for payload in payloads.prefix(split) { out += payloadLines(payload.summary, payload.body.renderer) }
            if message.header.isEncrypted { out.append(encryptedLine("E", message)) }
            for payload in payloads.dropFirst(split) {
                out += payloadLines(payload.summary, payload.body.renderer).map { "  " + $0 }
            }
        }
        return out.map { indent + $0 + "\n" }.joined()
    }

    /// "IKEv2 IKE_SA_INIT (34), flags 0x08 (Initiator), Message ID 0, Length 336, SPIi 0bc5… SPIr 0000…".
    static func header(_ header: IKEHeader) -> String {
        var flags: [String] = []
        if header.isIKEv2 {
            if header.flags & 0x08 != 0 { flags.append("Initiator") }
            if header.flags & 0x10 != 0 { flags.append("Version") }
            if header.flags & 0x20 != 0 { flags.append("Response") }
        } else {
            if header.flags & 0x01 != 0 { flags.append("Encryption") }
            if header.flags & 0x02 != 0 { flags.append("Commit") }
            if header.flags & 0x04 != 0 { flags.append("Authentication") }
        }
        let flagText = String(header.flags, radix: 16)
        return
            "IKE header: Version \(header.majorVersion).\(header.minorVersion), Exchange \(header.exchangeName) (\(header.exchangeType.rawValue)), Flags 0x\(flagText.count < 2 ? "0" : "")\(flagText)\(flags.isEmpty ? "" : " (\(flags.joined(separator: ", ")))"), Message ID \(IKEDescribe.messageID(header.messageID, version: header.isIKEv2 ? .v2 : .v1)), Length \(header.length), SPIi \(header.initiatorSPI.ikeSPIHex), SPIr \(header.responderSPI.ikeSPIHex)"
    }

    private static func payloadLines(_ summary: String, _ renderer: any IKEPayloadRenderer) -> [String] {
        [summary] + renderer.details().map { "  " + $0 }
    }

    private static func encryptedLine(_ name: String, _ message: IKEMessageRecord) -> String {
        "\(name): \(IKEDescribe.protection(message))"
    }
}
