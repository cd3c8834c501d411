/// Something wrong with an IKE message, IKEv1 (ISAKMP) or IKEv2: what kind (`code`, which tests
/// and callers compare), where (the byte offset in the buffer that was parsed) and the values
/// involved in words that name the payload and the lengths (`reason`, shown by reporters).
///
/// `IKEv2Parser.parseMessage` and `IKEv1Parser.parseMessage` fail with one of these when the
/// message cannot be read at all (no header, a length field that does not fit); everything else
/// is collected in the message's `problems` while parsing goes on.
public struct IKEParseProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable, CaseIterable {
        // The message as a whole (fatal: parseMessage fails).
        /// The range given lies outside the buffer.
        case badRange
        /// Fewer than the 28 bytes of the IKE (ISAKMP) header.
        case truncatedHeader
        /// Major version other than 2 for the IKEv2 parser.
        case notIKEv2
        /// Major version other than 1 for the IKEv1 parser.
        case notIKEv1
        /// Header length field below 28.
        case badMessageLength
        /// Header length field larger than the bytes present.
        case truncatedMessage
        /// The capture's snapshot length cut the message (non-fatal: it is read as far as it
        /// goes, and what is missing is not blamed on the message).
        case cutByCapture

        // The payload chain (non-fatal: the chain stops or goes on).
        /// Bytes after the message, after the last payload (but for IKEv1 padding after a
        /// decrypted chain), or inside a body after its content.
        case trailingBytes
        /// Fewer than 4 bytes left for the generic payload header the chain announces.
        case truncatedPayloadHeader
        /// Generic payload length below 4 (0 would loop forever).
        case badPayloadLength
        /// Generic payload length beyond the end of the message.
        case payloadBeyondEnd
        /// More payloads than the version's `maxPayloadsPerMessage`.
        case tooManyPayloads
        /// IKEv2: bytes after SK or SKF, which must be the last payload (RFC 7296 3.14, RFC 7383 2.5).
        case dataAfterEncrypted
        /// IKEv2: SK or SKF inside decrypted SK content.
        case nestedEncrypted
        /// IKEv2: a payload with the critical bit that this parser does not understand.
        case unknownCriticalPayload

        // Payload bodies (the payload becomes `.malformed`, unless said otherwise).
        /// Body shorter than its fixed part.
        case truncatedBody
        /// SA proposal header or length inconsistent.
        case badProposal
        /// Transform header or length inconsistent.
        case badTransform
        /// Transform (or IKEv1 notification data) attribute runs past its end.
        case badAttribute
        /// Last Substruc (IKEv2) or a proposal's / transform's Next Payload (IKEv1) says "more"
        /// after the last one, or "last" before it, or holds another value (non-fatal).
        case badLastSubstructure
        /// A count field disagrees with what the lengths hold (non-fatal).
        case countMismatch
        /// SPI size larger than the bytes present.
        case badSPISize
        /// Delete payload: SPI count times SPI size does not fit the payload.
        case badDeleteCount
        /// IKEv2: traffic selector length wrong for its type, or past the payload.
        case badTrafficSelector
        /// Configuration (IKEv2 CP, IKEv1 Mode Config / XAUTH) attribute runs past the payload.
        case badConfigAttribute
        /// IKEv2: EAP length field inconsistent with the payload.
        case badEAPLength
        /// IKEv1: NAT-OA with an address whose length does not match its ID type.
        case badNATOriginalAddress
        /// IKEv2 SKF fragment number 0 or above the total; IKEv1 fragment number 0.
        case badFragmentNumber
        /// More substructures than the named limit (non-fatal: the first ones are kept).
        case tooManyProposals
        case tooManyTransforms
        case tooManyAttributes
        case tooManyTrafficSelectors
        case tooManyDeleteSPIs
        case tooManyConfigAttributes
    }

    public var code: Code
    /// Byte offset in the buffer parsed (not relative to the message).
    public var offset: Int
    public var reason: String

    public init(_ code: Code, offset: Int, _ reason: String) {
        self.code = code
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "IKE at offset \(offset): \(reason)" }
}
