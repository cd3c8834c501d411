import SpiglassWire

/// charon's `%B` chunk dumps: a header `NAME => N bytes @ 0xADDRESS` and then rows
/// `  16: 46 40 B6 92 …  F@..` of up to 16 bytes, each a line of its own (filelog, syslog)
/// or a row of the same multi-line message (journal).
enum CharonLogDump {
    /// What a dump is to the key reader.
    enum Kind: Equatable {
        /// An IKE SA key (`Sk_d secret`, `SKEYID_a`, `encryption key Ka`, …); `SKEYSEED` and
        /// `SKEYID` start a new key set.
        case ikeKey(IKEKeyName)
        /// A CHILD_SA key (`encryption initiator key`, …).
        case childKey(ChildKeyName)
        /// Its first 16 bytes are SPIi ‖ SPIr (IKEv2) or CKY-I ‖ CKY-R (IKEv1): the NAT-D
        /// hash input, and the IKE_AUTH `octets` (the IKE_SA_INIT message comes first).
        case spiSource
    }

    enum IKEKeyName: String, CaseIterable {
        case skeyseed = "SKEYSEED"
        case skD = "Sk_d secret"
        case skAi = "Sk_ai secret"
        case skAr = "Sk_ar secret"
        case skEi = "Sk_ei secret"
        case skEr = "Sk_er secret"
        case skPi = "Sk_pi secret"
        case skPr = "Sk_pr secret"
        case skeyid = "SKEYID"
        case skeyidD = "SKEYID_d"
        case skeyidA = "SKEYID_a"
        case skeyidE = "SKEYID_e"
        case ka = "encryption key Ka"

        var isIKEv1: Bool {
            switch self {
            case .skeyid, .skeyidD, .skeyidA, .skeyidE, .ka: return true
            default: return false
            }
        }

        /// The dump that opens a key set (derivation starts with it).
        var startsKeySet: Bool { self == .skeyseed || self == .skeyid }

        /// How `keys check` names it.
        var shortName: String {
            switch self {
            case .skeyseed: return "SKEYSEED"
            case .skD: return "SK_d"
            case .skAi: return "SK_ai"
            case .skAr: return "SK_ar"
            case .skEi: return "SK_ei"
            case .skEr: return "SK_er"
            case .skPi: return "SK_pi"
            case .skPr: return "SK_pr"
            case .skeyid, .skeyidD, .skeyidA, .skeyidE: return rawValue
            case .ka: return "Ka"
            }
        }
    }

    enum ChildKeyName: String, CaseIterable {
        case encryptionInitiator = "encryption initiator key"
        case encryptionResponder = "encryption responder key"
        case integrityInitiator = "integrity initiator key"
        case integrityResponder = "integrity responder key"
    }

    static let spiSourceNames: Set<Substring> = ["natd_chunk", "octets = message + nonce + prf(Sk_px, IDx')"]
    /// Key dumps larger than this are not keys.
    static let maxKeyBytes = 1024

    static func kind(of name: Substring) -> Kind? {
        if let key = IKEKeyName(rawValue: String(name)) { return .ikeKey(key) }
        if let key = ChildKeyName(rawValue: String(name)) { return .childKey(key) }
        if spiSourceNames.contains(name) { return .spiSource }
        return nil
    }

    /// `NAME => N bytes @ 0x…`: the name and the length.
    static func header(_ message: Substring) -> (name: Substring, length: Int)? {
        guard let arrow = TextBytes.range(of: " => ", in: message) else { return nil }
        let rest = message[arrow.upperBound...]
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9, rest[digits.endIndex...].hasPrefix(" bytes"), let length = Int(digits)
        else { return nil }
        var name = message[..<arrow.lowerBound]
        while let first = name.first, first == " " || first == "\t" { name = name.dropFirst() }
        while let last = name.last, last == " " || last == "\t" { name = name.dropLast() }
        return (name, length)
    }

    /// A row `  16: 46 40 B6 92 00 00        F@....`: its offset and bytes (at most 16).
    static func row(_ message: Substring) -> (offset: Int, bytes: [UInt8])? {
        // Most lines are not rows: a row starts with blanks and a digit.
        guard let first = message.utf8.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }),
            CharonLogLineDecoder.isDigit(first)
        else { return nil }
        let c = Array(message.utf8.prefix(200))
        var i = 0
        while i < c.count, c[i] == UInt8(ascii: " ") || c[i] == UInt8(ascii: "\t") { i += 1 }
        let digitStart = i
        var offset = 0
        while i < c.count, CharonLogLineDecoder.isDigit(c[i]), i - digitStart < 9 {
            offset = offset * 10 + Int(c[i] - UInt8(ascii: "0"))
            i += 1
        }
        guard i > digitStart, i + 1 < c.count, c[i] == UInt8(ascii: ":"), c[i + 1] == UInt8(ascii: " ") else {
            return nil
        }
        i += 2
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        while bytes.count < 16, i + 1 < c.count, let high = Hex.digitValue(c[i]), let low = Hex.digitValue(c[i + 1]) {
            guard i + 2 == c.count || c[i + 2] == UInt8(ascii: " ") else { break }
            bytes.append(high << 4 | low)
            i += 3
            // Two blanks end the hex columns; the ASCII column follows.
            if i < c.count, c[i] == UInt8(ascii: " ") { break }
        }
        guard !bytes.isEmpty else { return nil }
        return (offset, bytes)
    }
}

/// A dump being read, row by row, on one stream of the log.
struct PendingCharonDump {
    var name: Substring
    var kind: CharonLogDump.Kind
    var length: Int
    var line: Int
    var ikeSA: CharonIKESATag?
    /// Key bytes: capacity reserved up front, so that no copy is left behind by growing.
    var bytes: [UInt8]

    init(name: Substring, kind: CharonLogDump.Kind, length: Int, line: Int, ikeSA: CharonIKESATag?) {
        self.name = name
        self.kind = kind
        self.length = kind == .spiSource ? min(length, 16) : length
        self.line = line
        self.ikeSA = ikeSA
        bytes = []
        bytes.reserveCapacity(self.length)
    }

    enum Progress {
        case needMore
        case complete
        /// The row does not continue this dump: its offset or size is wrong.
        case broken(String)
    }

    /// Takes one row. Only the first 16 bytes of an SPI source are kept; its other rows are
    /// skipped by the caller as rows of no interest.
    mutating func take(offset: Int, row: [UInt8]) -> Progress {
        guard offset == bytes.count else { return .broken("hexdump row at offset \(offset), expected \(bytes.count)") }
        let wanted = min(16, length - bytes.count)
        if kind == .spiSource {
            bytes += row.prefix(wanted)
            return bytes.count >= length ? .complete : .needMore
        }
        guard row.count == wanted else { return .broken("hexdump row has \(row.count) bytes, expected \(wanted)") }
        bytes += row
        return bytes.count == length ? .complete : .needMore
    }

    /// The key, handed over into a buffer that is wiped when freed (this one is wiped now).
    mutating func takeSecret() -> SecretBytes { SecretBytes(wiping: &bytes) }

    /// SPIi ‖ SPIr, when both are there.
    var spiPair: IKESPIPairValue? {
        guard bytes.count >= 16 else { return nil }
        let i = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let r = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return IKESPIPairValue(initiator: i, responder: r)
    }
}

/// An IKE SA's two SPIs (IKEv1: cookies) as the log gives them.
struct IKESPIPairValue: Hashable {
    var initiator: UInt64
    var responder: UInt64

    /// Both known: an IKE SA past IKE_SA_INIT (or Main Mode message 2).
    var isComplete: Bool { initiator != 0 && responder != 0 }

    var shown: String { "\(Self.hex64(initiator))_i \(Self.hex64(responder))_r" }

    static func hex64(_ value: UInt64) -> String { value.ikeSPIHex }
}
