import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// Words for IKE messages, exchanges, IKE SAs and CHILD_SAs, shared by the reporters.
enum IKEDescribe {
    /// "SA KE Ni N(NAT_DETECTION_SOURCE_IP)" for the payloads outside SK, then "SK{IDi AUTH …}".
    static func payloadList(_ message: IKEMessageRecord) -> String {
        let outer = message.payloads[..<(message.decryptedFrom ?? message.payloads.count)].map(shortName)
        var parts = outer
        switch message.decryption {
        case .decrypted:
            parts.append("SK{" + message.encryptedPayloads.map(shortName).joined(separator: " ") + "}")
        case .notEncrypted:
            break
        case .noKeys:
            parts.append(message.frames.count > 1 ? "SKF{no keys}" : "SK{no keys}")
        case .failed(let why):
            parts.append("SK{not decrypted: \(why)}")
        case .fragmentPending:
            parts.append("SKF{pending}")
        }
        return parts.joined(separator: " ")
    }

    static func shortName(_ payload: IKEv2Payload) -> String {
        switch payload.body {
        case .notify(let notify): return "N(\(notify.name))"
        case .vendorID(let bytes): return "V(\(KnownVendorIDs.name(bytes) ?? "unknown"))"
        case .delete(let delete): return delete.protocolID == 1 ? "D(IKE)" : "D(\(delete.spis.map { Hex.encode($0) }.joined(separator: ",")))"
        default: return payload.name + (payload.critical && isUnknown(payload) ? "!" : "")
        }
    }

    static func isUnknown(_ payload: IKEv2Payload) -> Bool {
        if case .unknown = payload.body { return true }
        return false
    }

    /// "IKE_AUTH request mid=1 (initiator)".
    static func headline(_ message: IKEMessageRecord) -> String {
        let header = message.header
        var text = "\(header.exchangeName) \(header.isResponse ? "response" : "request") mid=\(header.messageID)"
        text += header.isInitiator ? " [I]" : " [R]"
        if message.retransmission { text += " retransmission" }
        return text
    }

    /// "decrypted, integrity ok" and the like.
    static func protection(_ message: IKEMessageRecord) -> String {
        switch message.decryption {
        case .notEncrypted: return "clear"
        case .decrypted: return "decrypted, integrity \(message.integrity.rawValue)"
        case .noKeys: return "encrypted, no keys"
        case .failed(let why): return "not decrypted: \(why)"
        case .fragmentPending: return "fragment pending"
        }
    }

    static func spi(_ value: UInt32?) -> String {
        guard let value else { return "?" }
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    /// Where an SA's keys came from: "sa.spiglass:3", or the IKE SA they were derived from.
    static func origin(_ origin: SAOrigin) -> String {
        origin.line == 0 ? origin.file : origin.description
    }

    /// "4.07 ms" (to the hundredth).
    static func milliseconds(_ microseconds: Int64) -> String {
        let hundredths = (max(microseconds, 0) + 5) / 10
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) ms"
    }
}
