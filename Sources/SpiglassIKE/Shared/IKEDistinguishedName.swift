import SpiglassWire

/// A DER X.501 Name (RDNSequence) as an ID_DER_ASN1_DN or a CERTREQ authority holds it: a
/// SEQUENCE of SETs of SEQUENCE { OID, value }. Only that shape is read; anything else gives
/// nil and the caller shows hex. Iterative, every length checked against its parent: no
/// recursion, no trap. The attributes are kept as the peer sent them (values unescaped):
/// SpiglassAnalysis renders them as text (`IKEDistinguishedNameText`).
public struct IKEDistinguishedName: Sendable, Equatable {
    /// One AttributeTypeAndValue: the OID's content octets, the value's DER tag and content.
    public struct Attribute: Sendable, Equatable {
        public var oid: [UInt8]
        public var tag: UInt8
        public var value: [UInt8]
    }

    /// The attributes of every RDN, in order.
    public var attributes: [Attribute]

    /// Attributes read at most; a real DN has fewer than ten.
    static let maxComponents = 64

    /// One DER TLV: its tag and a reader over its content.
    struct Element {
        var tag: UInt8
        var content: ByteReader
    }

    /// The DER TLV at the reader's cursor, within its bounds; definite lengths of at most 3
    /// bytes. The reader moves past it.
    static func element(_ reader: inout ByteReader) -> Element? {
        guard let tag = reader.readUInt8(), let first = reader.readUInt8() else { return nil }
        var length = Int(first)
        if first >= 0x80 {
            let count = Int(first & 0x7f)
            guard count >= 1, count <= 3 else { return nil }
            length = 0
            for _ in 0..<count {
                guard let byte = reader.readUInt8() else { return nil }
                length = length << 8 | Int(byte)
            }
        }
        guard let content = reader.readReader(length) else { return nil }
        return Element(tag: tag, content: content)
    }

    /// The Name `bytes` hold, or nil when they are not one DER Name of at most
    /// `maxComponents` attributes.
    public init?(der bytes: [UInt8]) {
        var whole = ByteReader(bytes)
        guard var name = Self.element(&whole), name.tag == 0x30, whole.isAtEnd else { return nil }
        var attributes: [Attribute] = []
        while !name.content.isAtEnd {
            guard attributes.count < Self.maxComponents, var set = Self.element(&name.content), set.tag == 0x31
            else { return nil }
            while !set.content.isAtEnd {
                guard attributes.count < Self.maxComponents,
                    var attribute = Self.element(&set.content), attribute.tag == 0x30,
                    let oid = Self.element(&attribute.content), oid.tag == 0x06,
                    let value = Self.element(&attribute.content), attribute.content.isAtEnd
                else { return nil }
                attributes.append(
                    Attribute(
                        oid: Array(bytes[oid.content.remainingRange]), tag: value.tag,
                        value: Array(bytes[value.content.remainingRange])))
            }
        }
        self.attributes = attributes
    }
}
