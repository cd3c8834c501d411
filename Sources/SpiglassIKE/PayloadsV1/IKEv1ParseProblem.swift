/// Something wrong with an IKEv1 (ISAKMP) message: what kind (`code`, which tests and callers
/// compare), where (the byte offset in the buffer that was parsed) and why, in words that name
/// the payload and the lengths involved.
///
/// `IKEv1Parser.parseMessage` fails with one of these when the message cannot be read at all
/// (no ISAKMP header, a length field that does not fit); everything else is collected in
/// `IKEv1Message.problems` while parsing goes on.
public struct IKEv1ParseProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable, CaseIterable {
        // The message as a whole (fatal: parseMessage fails).
        /// The range given lies outside the buffer.
        case badRange
        /// Fewer than the 28 bytes of the ISAKMP header.
        case truncatedHeader
        /// Major version other than 1.
        case notIKEv1
        /// Header length field below 28.
        case badMessageLength
        /// Header length field larger than the bytes present.
        case truncatedMessage
        /// The capture's snapshot length cut the message (non-fatal: it is read as far as it
        /// goes, and what is missing is not blamed on the message).
        case cutByCapture

        // The payload chain (non-fatal: the chain stops or goes on).
        /// Bytes after the message, or after the last payload of an unencrypted message, or
        /// inside a body after its content. (After a decrypted chain they are padding, not a
        /// problem.)
        case trailingBytes
        /// Fewer than 4 bytes left for the generic payload header the chain announces.
        case truncatedPayloadHeader
        /// Generic payload length below 4 (0 would loop forever).
        case badPayloadLength
        /// Generic payload length beyond the end of the message.
        case payloadBeyondEnd
        /// More payloads than `IKEv1Limits.maxPayloadsPerMessage`.
        case tooManyPayloads

        // Payload bodies (the payload becomes `.malformed`, unless said otherwise).
        /// Body shorter than its fixed part.
        case truncatedBody
        /// Proposal payload header or length inconsistent.
        case badProposal
        /// Transform payload header or length inconsistent.
        case badTransform
        /// Data attribute runs past its transform (or notification data).
        case badAttribute
        /// A proposal's Next Payload is not 2 or 0, a transform's not 3 or 0, or the last one
        /// says more follow (non-fatal).
        case badLastSubstructure
        /// A count field disagrees with what the lengths hold (non-fatal).
        case countMismatch
        /// SPI size larger than the bytes present.
        case badSPISize
        /// Delete payload: # of SPIs times SPI size does not fit the payload.
        case badDeleteCount
        /// Mode Config / XAUTH attribute runs past the payload.
        case badConfigAttribute
        /// NAT-OA: an address whose length does not match its ID type.
        case badNATOriginalAddress
        /// Cisco/strongSwan fragment number 0.
        case badFragmentNumber
        /// More substructures than the named limit (non-fatal: the first ones are kept).
        case tooManyProposals
        case tooManyTransforms
        case tooManyAttributes
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

    public var description: String { "IKEv1 at offset \(offset): \(reason)" }
}
