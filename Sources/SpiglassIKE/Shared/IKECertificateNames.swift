import SpiglassWire

/// The subject and issuer Names of a DER X.509 certificate (RFC 5280 4.1), for `-V`:
/// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
/// signature, issuer Name, validity, subject Name, ... }, ... }. Only that walk is done, every
/// length within its parent (`IKEDistinguishedName.element`); anything else gives nil.
public struct IKECertificateNames: Sendable, Equatable {
    /// The DER encodings of the Names, tag and length included.
    public var issuer: [UInt8]
    public var subject: [UInt8]

    public init?(der bytes: [UInt8]) {
        var whole = ByteReader(bytes)
        guard var certificate = IKEDistinguishedName.element(&whole), certificate.tag == 0x30,
            var tbs = IKEDistinguishedName.element(&certificate.content), tbs.tag == 0x30
        else { return nil }
        if tbs.content.peekUInt8() == 0xa0 {
            guard IKEDistinguishedName.element(&tbs.content) != nil else { return nil }
        }
        // serialNumber, signature.
        for tag: UInt8 in [0x02, 0x30] {
            guard let element = IKEDistinguishedName.element(&tbs.content), element.tag == tag else { return nil }
        }
        let issuerStart = tbs.content.offset
        guard let issuer = IKEDistinguishedName.element(&tbs.content), issuer.tag == 0x30,
            let validity = IKEDistinguishedName.element(&tbs.content), validity.tag == 0x30
        else { return nil }
        let issuerEnd = issuer.content.bounds.upperBound
        let subjectStart = tbs.content.offset
        guard let subject = IKEDistinguishedName.element(&tbs.content), subject.tag == 0x30 else { return nil }
        self.issuer = Array(bytes[issuerStart..<issuerEnd])
        self.subject = Array(bytes[subjectStart..<subject.content.bounds.upperBound])
    }
}
