import SpiglassIKE
import SpiglassWire

/// An `IKEDistinguishedName` as text, the way OpenSSL's one-line form shows it: "C=CH,
/// O=strongSwan, CN=moon.strongswan.org". A Name with an attribute this cannot show (an OID
/// that is not valid base-128, a value of a type that is not a DirectoryString) gives nil and
/// the caller shows hex.
///
/// Values come from whoever sent the packet, so each is escaped for display (`DisplayText`:
/// controls, bidi overrides, separators...) and then as RFC 4514 2.4 says, so that a value
/// holding ", CN=admin" shows as "\, CN=admin" and cannot pass for another attribute.
enum IKEDistinguishedNameText {
    /// The DER Name in `bytes` as text; nil when it is not one this can show.
    static func render(_ bytes: [UInt8]) -> String? {
        guard let name = IKEDistinguishedName(der: bytes) else { return nil }
        var parts: [String] = []
        for attribute in name.attributes {
            guard let key = oidName(attribute.oid), let text = string(tag: attribute.tag, attribute.value)
            else { return nil }
            parts.append("\(key)=\(text)")
        }
        return parts.joined(separator: ", ")
    }

    static func oidName(_ oid: [UInt8]) -> String? {
        switch oid {
        case [0x55, 0x04, 0x03]: return "CN"
        case [0x55, 0x04, 0x04]: return "SN"
        case [0x55, 0x04, 0x05]: return "serialNumber"
        case [0x55, 0x04, 0x06]: return "C"
        case [0x55, 0x04, 0x07]: return "L"
        case [0x55, 0x04, 0x08]: return "ST"
        case [0x55, 0x04, 0x09]: return "street"
        case [0x55, 0x04, 0x0a]: return "O"
        case [0x55, 0x04, 0x0b]: return "OU"
        case [0x55, 0x04, 0x0c]: return "title"
        case [0x55, 0x04, 0x2a]: return "GN"
        case [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01]: return "E"
        case [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19]: return "DC"
        case [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01]: return "UID"
        default: return dotted(oid)
        }
    }

    /// Dotted form of an OID's content octets; nil when they are not valid base-128.
    static func dotted(_ oid: [UInt8]) -> String? {
        guard !oid.isEmpty, oid.count <= 32, oid.last.map({ $0 & 0x80 == 0 }) == true else { return nil }
        var arcs: [UInt64] = []
        var value: UInt64 = 0
        for byte in oid {
            guard value < (1 << 56) else { return nil }
            value = value << 7 | UInt64(byte & 0x7f)
            if byte & 0x80 == 0 {
                arcs.append(value)
                value = 0
            }
        }
        guard let head = arcs.first else { return nil }
        let (a, b) = head < 80 ? (head / 40, head % 40) : (2, head - 80)
        return ([a, b] + arcs.dropFirst()).map(String.init).joined(separator: ".")
    }

    /// The text of a DirectoryString, escaped (see the type's comment); nil for types this
    /// renderer does not read.
    static func string(tag: UInt8, _ content: [UInt8]) -> String? {
        switch tag {
        case 0x0c, 0x13, 0x16, 0x14, 0x1a:
            // UTF8String, PrintableString, IA5String, T61String, VisibleString: as UTF-8, any
            // byte that is not shown as \xNN.
            return rfc4514(DisplayText.escaped(bytes: content))
        case 0x1e, 0x1c:
            // BMPString (UTF-16BE), UniversalString (UTF-32BE).
            let width = tag == 0x1e ? 2 : 4
            guard content.count % width == 0 else { return nil }
            var units: [UInt32] = []
            for start in stride(from: 0, to: content.count, by: width) {
                units.append(content[start..<(start + width)].reduce(0) { $0 << 8 | UInt32($1) })
            }
            var text = String.UnicodeScalarView()
            if width == 2 {
                var iterator = units.map { UInt16($0) }.makeIterator()
                var decoder = UTF16()
                decoding: while true {
                    switch decoder.decode(&iterator) {
                    case .scalarValue(let scalar): text.append(scalar)
                    case .emptyInput: break decoding
                    case .error: return nil
                    }
                }
            } else {
                for unit in units {
                    guard let scalar = Unicode.Scalar(unit) else { return nil }
                    text.append(scalar)
                }
            }
            return rfc4514(DisplayText.escaped(String(text)))
        default:
            return nil
        }
    }

    /// RFC 4514 2.4 escaping of an attribute value already escaped for display (which wrote
    /// a backslash and a double quote as RFC 4514 does): the separators ",", "+", ";", "<",
    /// ">", a leading "#" or space and a trailing space get a backslash.
    static func rfc4514(_ value: String) -> String {
        let scalars = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case ",", "+", ";", "<", ">":
                out.append("\\")
            case "#" where index == 0, " " where index == 0 || index == scalars.count - 1:
                out.append("\\")
            default:
                break
            }
            out.append(scalar)
        }
        return String(out)
    }
}
