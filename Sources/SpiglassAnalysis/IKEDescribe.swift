import SpiglassCapture
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// Words for IKE messages, exchanges, IKE SAs and CHILD_SAs, shared by the reporters.
enum IKEDescribe {
    /// "SA KE Ni N(NAT_DETECTION_SOURCE_IP)" for the payloads outside SK, then "SK{IDi AUTH …}".
    /// `protectionShown`: the line already says why the encrypted part stayed closed
    /// (`protection`), so it shows as its bare name ("SK", "E") instead of "SK{no keys}".
    /// Error notifies are painted as failures on a colour `display`.
    static func payloadList(
        _ message: IKEMessageRecord, protectionShown: Bool = false, display: TextDisplay = .plain
    ) -> String {
        switch message.payloads {
        case .v1(let payloads):
            let split = message.decryptedFrom ?? payloads.count
            return withEncryptedPart(
                message, clear: payloads[..<split].map { shortName($0, display: display) },
                opened: "E", inner: payloads[split...].map { shortName($0, display: display) }, bare: protectionShown)
        case .v2(let payloads):
            return withEncryptedPart(
                message,
                clear: payloads[..<(message.decryptedFrom ?? payloads.count)].map { shortName($0, display: display) },
                opened: "SK", inner: message.encryptedPayloads.map { shortName($0, display: display) },
                bare: protectionShown)
        }
    }

    /// The bare name of an encrypted part that stayed closed, for a line that says why
    /// elsewhere: "SK" ("SKF" for fragments without keys), "E", or "SKF{pending}" and
    /// "FRAG{pending}" for fragments still missing; nil when it was decrypted or there is none.
    static func closedPartName(_ message: IKEMessageRecord) -> String? {
        let v1: Bool
        switch message.payloads {
        case .v1: v1 = true
        case .v2: v1 = false
        }
        switch message.decryption {
        case .decrypted, .notEncrypted: return nil
        case .fragmentPending: return v1 ? "FRAG{pending}" : "SKF{pending}"
        case .noKeys where !v1 && message.frames.count > 1: return "SKF"
        case .noKeys, .failed, .cutByCapture: return v1 ? "E" : "SK"
        }
    }

    /// The clear payloads' names, then the encrypted part: `opened` ("SK", IKEv2's; "E", IKEv1's)
    /// around the names of what it held, or the part that stayed closed with why ("SK{no keys}",
    /// "E{not decrypted: …}"), only its bare name when `bare`.
    private static func withEncryptedPart(
        _ message: IKEMessageRecord, clear: [String], opened: String, inner: [String], bare: Bool
    ) -> String {
        guard let closed = closedPartName(message) else {
            guard case .decrypted = message.decryption else { return clear.joined(separator: " ") }
            // Shown although its integrity check failed (--ike-no-integrity): say so on the spot.
            let mark = message.integrity == .failed ? "(unauthenticated)" : ""
            return (clear + ["\(opened)\(mark){" + inner.joined(separator: " ") + "}"]).joined(separator: " ")
        }
        if bare { return (clear + [closed]).joined(separator: " ") }
        let why: String
        switch message.decryption {
        case .noKeys: why = "{no keys}"
        case .failed(let error): why = "{not decrypted: \(IKEProtectionErrorText.decryption(error))}"
        case .cutByCapture: why = "{cut by the capture}"
        case .fragmentPending, .decrypted, .notEncrypted: why = ""
        }
        return (clear + [closed + why]).joined(separator: " ")
    }

    static func shortName(_ payload: IKEv1Payload, display: TextDisplay = .plain) -> String {
        switch payload.body {
        case .malformed(let problem) where problem.code == .cutByCapture: return payload.name + "(cut)"
        case .notification(let notify): return "N(\(display.paint(notify.name, notify.isError ? .failure : nil)))"
        case .vendorID(let bytes): return "VID(\(KnownVendorIDs.name(bytes) ?? "unknown"))"
        case .delete(let delete):
            return delete.protocolID == 1
                ? "D(ISAKMP)" : "D(\(delete.spis.map { Hex.encode($0) }.joined(separator: ",")))"
        default: return payload.name
        }
    }

    static func shortName(_ payload: IKEv2Payload, display: TextDisplay = .plain) -> String {
        switch payload.body {
        case .malformed(let problem) where problem.code == .cutByCapture: return payload.name + "(cut)"
        case .notify(let notify): return "N(\(display.paint(notify.name, notify.isError ? .failure : nil)))"
        case .vendorID(let bytes): return "V(\(KnownVendorIDs.name(bytes) ?? "unknown"))"
        case .delete(let delete):
            return delete.protocolID == 1 ? "D(IKE)" : "D(\(delete.spis.map { Hex.encode($0) }.joined(separator: ",")))"
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
        var text =
            "\(header.exchangeName) \(message.isResponse ? "response" : "request") mid=\(messageID(header.messageID, of: message.payloads))"
        text += message.fromOriginalInitiator ? " [I]" : " [R]"
        if message.retransmission { text += " retransmission" }
        return text
    }

    /// IKEv2 message IDs count up from 0; IKEv1's are random 32-bit values, read in hex.
    static func messageID(_ id: UInt32, of payloads: IKEPayloads) -> String {
        guard case .v1 = payloads else { return String(id) }
        return messageID(id, version: .v1)
    }

    static func messageID(_ id: UInt32, version: IKESecurityAssociation.Version) -> String {
        guard version == .v1 else { return String(id) }
        let s = String(id, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - s.count) + s
    }

    /// A problem noted on a message, in words.
    static func problem(_ problem: IKEMessageProblem) -> String {
        switch problem {
        case .parse(let parse): return IKEParseProblemText.reason(parse)
        case .otherAnswer(let newResponderSPI):
            let spi = newResponderSPI ? " with a new responder SPI" : ""
            return "another answer to the request\(spi), not a retransmission (its bytes differ)"
        case .retransmissionDiffers: return "retransmitted request differs from the first one"
        case .ivBeforeLastPhase1Message:
            return "IV from before the last phase-1 message: its sender had not accepted that message"
        }
    }

    /// A CHILD_SA's traffic selectors as the reports show them: IKEv2 TSi and TSr
    /// ("10.1.0.0/24[tcp]"); IKEv1 the Quick Mode client IDs, addresses only, when both came.
    static func trafficSelectors(_ child: ChildSARecord) -> (initiator: [String], responder: [String]) {
        let ids = child.quickModeIdentities
        if ids.count == 2 { return ([ids[0].text], [ids[1].text]) }
        return (child.initiatorSelectors.map(\.text), child.responderSelectors.map(\.text))
    }

    /// "decrypted, integrity ok" and the like.
    /// " [reassembled from frames 3,4,5,6]" for a message reassembled from fragments of several
    /// frames, "" for a message of one frame: the packet line's note, on a terminal or piped.
    static func reassembledNote(_ message: IKEMessageRecord) -> String {
        message.frames.count > 1
            ? " [reassembled from frames \(message.frames.map(String.init).joined(separator: ","))]" : ""
    }

    static func protection(_ message: IKEMessageRecord) -> String {
        if let original = message.captureDuplicateOf { return "capture duplicate: same bytes as frame \(original)" }
        let cut = message.capturedLength.map { "; cut by the capture: \($0) of \(message.length) bytes captured" } ?? ""
        switch message.decryption {
        case .notEncrypted:
            // A clear message can carry a checked hash (IKEv1 Aggressive Mode's HASH_R).
            return "clear" + (message.integrity == .unchecked ? "" : ", integrity \(message.integrity.rawValue)") + cut
        case .decrypted:
            return message.integrity == .failed
                ? "decrypted although its integrity check failed: unauthenticated"
                : "decrypted, integrity \(message.integrity.rawValue)"
        case .noKeys: return "encrypted, no keys" + cut
        case .failed(let why): return "not decrypted: \(IKEProtectionErrorText.decryption(why))"
        case .fragmentPending: return "fragment pending"
        case .cutByCapture: return "encrypted, not decrypted" + cut
        }
    }

    static func spi(_ value: UInt32?) -> String {
        value.map { SPI($0).hexDigits } ?? "?"
    }

    /// Where an SA's keys came from: "sa.spiglass:3", or the IKE SA they were derived from.
    static func origin(_ origin: SAOrigin) -> String {
        origin.description
    }

    /// The key line by file name and line ("charon-A.log:333"), not by path: a terminal's form.
    static func shortOrigin(_ origin: SAOrigin) -> String { origin.named }

    /// A round trip: "4.07 ms" (to the hundredth) from a microsecond capture, "4.070123 ms"
    /// (to the nanosecond) from a nanosecond one.
    static func milliseconds(_ duration: CaptureDuration) -> String {
        let units = max(duration.units, 0)
        guard duration.resolution == .microseconds else {
            return "\(units / 1_000_000).\(TimeFormat.pad(units % 1_000_000, 6)) ms"
        }
        let hundredths = units / 10 + (units % 10 >= 5 ? 1 : 0)
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) ms"
    }
}
