/// Something wrong with an IKE message, IKEv1 (ISAKMP) or IKEv2: what kind (`code`, which tests
/// and callers compare), where (the byte offset in the buffer that was parsed, and the `part` of
/// the message) and the values the failed check compared (`detail`). The words are the
/// reporters' (SpiglassAnalysis renders them from these values).
///
/// `IKEv2Parser.parseMessage` and `IKEv1Parser.parseMessage` fail with one of these when the
/// message cannot be read at all (no header, a length field that does not fit); everything else
/// is collected in the message's `problems` while parsing goes on.
public struct IKEParseProblem: Error, Sendable, Equatable {
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

    /// The version of the message parsed: the same part has other names in IKEv1 and IKEv2.
    public enum Version: Sendable, Equatable {
        case v1, v2
    }

    /// The part of the message a problem is in.
    public enum Part: Sendable, Equatable {
        /// The message as a whole: its header, its payload chain, the buffer it was read from.
        case message
        /// A payload of the chain, by its type number: its generic header, its place in the chain.
        case payload(UInt8)
        /// An SA payload's body (IKEv1: its DOI).
        case securityAssociation
        /// IKEv1: an SA payload's DOI and IPsec situation.
        case situation
        case proposal
        case transform
        case keyExchange
        case identification
        case certificate
        case certificateRequest
        case authentication
        /// A Notify (IKEv1 Notification) payload, with its type once read.
        case notify(UInt16?)
        case delete
        /// A TSi/TSr payload's body.
        case trafficSelectors
        /// Selector `number` (from 1) of the `declared` ones in a TSi/TSr payload.
        case trafficSelector(Int, of: Int)
        /// IKEv2 CP; IKEv1 Attributes (Mode Config, XAUTH).
        case configuration
        /// An EAP message, with its Code once read.
        case eap(code: UInt8?)
        /// IKEv2 SKF; IKEv1 fragment (Cisco, strongSwan).
        case fragment
        /// IKEv1 NAT-OA.
        case natOriginalAddress
    }

    /// The values the failed check compared.
    public enum Detail: Sendable, Equatable {
        case none
        /// A header or fixed part of `needed` bytes where `available` are.
        case short(needed: Int, available: Int)
        /// A length (or size) field's value and the bytes there are for it.
        case length(Int, available: Int)
        /// A length field's value below the `header` it includes.
        case belowHeader(Int, header: Int)
        /// A field's value and what it was checked against: the version parsed, the value that
        /// says "more", the total of fragments.
        case value(Int, against: Int?)
        /// More items than `limit`; `declared`: the count a field announced, when one did.
        case tooMany(declared: Int?, limit: Int)
        /// `count` bytes left over; `after`: the message length or the count of items they follow.
        case trailing(Int, after: Int?)
        /// A count field's value and the items found.
        case count(declared: Int, found: Int)
        /// Delete: `count` SPIs of `size` bytes each, `available` bytes present.
        case spis(Int, size: Int, available: Int)
        /// A range outside a buffer of `bufferSize` bytes.
        case range(Range<Int>, bufferSize: Int)
        /// A payload cut by the capture: `captured` bytes of its `length` (nil: its header was cut).
        case captured(Int, of: Int?)
        /// An attribute of `type` whose `length` runs past the `available` bytes.
        case attribute(UInt16, length: Int, available: Int)
        /// An address-carrying item of `type` (traffic selector, NAT-OA ID type) with `length`
        /// bytes, where `required` is the length its type fixes.
        case address(type: UInt8, length: Int, required: Int?)
    }

    public var code: Code
    /// Byte offset in the buffer parsed (not relative to the message).
    public var offset: Int
    public var version: Version
    public var part: Part
    public var detail: Detail

    public init(_ code: Code, offset: Int, _ version: Version, in part: Part, _ detail: Detail = .none) {
        self.code = code
        self.offset = offset
        self.version = version
        self.part = part
        self.detail = detail
    }
}
