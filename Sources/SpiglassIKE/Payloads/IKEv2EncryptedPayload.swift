import SpiglassWire

/// SK (RFC 7296 3.14): the IV, the encrypted inner payloads with padding and pad length, and
/// the ICV. Nothing of it is readable without keys; the generic header's Next Payload names
/// the first inner payload.
public struct IKEv2EncryptedPayload: Sendable, Equatable {
    public var firstInnerPayload: UInt8
    /// IV through ICV: the payload after its 4-byte generic header.
    public var contentRange: Range<Int>

    public init(firstInnerPayload: UInt8, contentRange: Range<Int>) {
        self.firstInnerPayload = firstInnerPayload
        self.contentRange = contentRange
    }
}

/// SKF (RFC 7383 2.5): one fragment of an SK payload. Next Payload names the first inner
/// payload in fragment 1 and is 0 in the others.
public struct IKEv2EncryptedFragment: Sendable, Equatable {
    public var firstInnerPayload: UInt8
    public var fragmentNumber: UInt16
    public var totalFragments: UInt16
    /// IV through ICV: after the generic header and the 4 bytes of fragment numbers.
    public var contentRange: Range<Int>

    public init(firstInnerPayload: UInt8, fragmentNumber: UInt16, totalFragments: UInt16, contentRange: Range<Int>) {
        self.firstInnerPayload = firstInnerPayload
        self.fragmentNumber = fragmentNumber
        self.totalFragments = totalFragments
        self.contentRange = contentRange
    }

    /// Fragment Number (2) + Total Fragments (2).
    static let headerLength = 4

    static func parse(
        _ reader: inout ByteReader,
        firstInnerPayload: UInt8
    ) -> Result<IKEv2EncryptedFragment, IKEParseProblem> {
        let start = reader.offset
        guard reader.remaining >= headerLength, let number = reader.readUInt16(), let total = reader.readUInt16() else {
            return .failure(
                IKEParseProblem(
                    .truncatedBody, offset: start,
                    .v2, in: .fragment, .short(needed: headerLength, available: reader.remaining)))
        }
        // RFC 7383 2.5: numbering starts at 1; Total Fragments is at least the fragment number.
        guard number >= 1, number <= total else {
            return .failure(
                IKEParseProblem(
                    .badFragmentNumber, offset: start, .v2, in: .fragment, .value(Int(number), against: Int(total))))
        }
        return .success(
            IKEv2EncryptedFragment(
                firstInnerPayload: firstInnerPayload, fragmentNumber: number, totalFragments: total,
                contentRange: reader.remainingRange))
    }
}
