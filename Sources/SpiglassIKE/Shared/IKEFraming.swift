import SpiglassWire

/// What IKEv1 (RFC 2408 3.1-3.2) and IKEv2 (RFC 7296 3.1-3.2) messages share on the wire: the
/// 28-byte header with the message length, then a chain of payloads, each behind a 4-byte
/// generic header whose Next Payload names the payload after it. Both parsers frame through
/// here; only what a payload holds differs.
enum IKEFraming {
    /// Generic payload header: Next Payload (1), C + RESERVED (IKEv2) or RESERVED (1),
    /// Payload Length (2).
    static let genericHeaderLength = 4
    static let noNextPayload: UInt8 = 0

    /// What tells the two versions apart while framing.
    struct Version: Sendable {
        var major: UInt8
        /// What problems found while framing are tagged with.
        var problems: IKEParseProblem.Version
        var wrongVersion: IKEParseProblem.Code
        var maxPayloads: Int

        static let v1 = Version(
            major: 1, problems: .v1, wrongVersion: .notIKEv1, maxPayloads: IKEv1Limits.maxPayloadsPerMessage)
        static let v2 = Version(
            major: 2, problems: .v2, wrongVersion: .notIKEv2, maxPayloads: IKEv2Limits.maxPayloadsPerMessage)
    }

    /// A message whose header was read and whose length field fits.
    struct Frame {
        /// `range` is the whole message (header length field) within the buffer.
        var header: IKEHeader
        /// After the header, up to the message's length or, when the capture cut it, the end
        /// of what was captured.
        var payloads: ByteReader
        /// The capture cut the message: its last payload may run past `payloads`.
        var cutAtEnd: Bool
        var problems: [IKEParseProblem]
    }

    /// Reads the header at the reader's cursor and checks the message length against the
    /// bytes the reader holds; the reader ends after the message.
    ///
    /// Fails when there is no message to speak of: fewer than 28 bytes, another major
    /// version, or a header length field below 28 or beyond the bytes (unless `cutByCapture`:
    /// the capture's snapshot length cut the message, which is then read as far as it goes).
    static func frame(
        _ reader: inout ByteReader, _ version: Version,
        cutByCapture: Bool
    ) -> Result<Frame, IKEParseProblem> {
        let start = reader.offset
        let available = reader.remaining
        guard var header = IKEHeader.parse(reader.bytes, range: reader.remainingRange) else {
            return .failure(
                IKEParseProblem(
                    .truncatedHeader, offset: start, version.problems, in: .message,
                    .short(needed: IKEHeader.length, available: available)))
        }
        guard header.majorVersion == version.major else {
            return .failure(
                IKEParseProblem(
                    version.wrongVersion, offset: start + 17, version.problems, in: .message,
                    .value(Int(header.majorVersion), against: Int(version.major))))
        }
        // RFC 7296 3.1: "Length (4 octets, unsigned integer): Length of the total message
        // (header + payloads) in octets." RFC 2408 3.1 alike, adding "Encryption can expand
        // the size of an ISAKMP message."
        let length = Int(header.length)
        guard length >= IKEHeader.length else {
            return .failure(
                IKEParseProblem(
                    .badMessageLength, offset: start + 24, version.problems, in: .message,
                    .belowHeader(length, header: IKEHeader.length)))
        }
        if length > available && !cutByCapture {
            return .failure(
                IKEParseProblem(
                    .truncatedMessage, offset: start + 24, version.problems, in: .message,
                    .length(length, available: available)))
        }
        var message = reader.readReader(min(length, available)) ?? ByteReader(reader.bytes, range: start..<start)
        header.range = message.bounds
        var problems: [IKEParseProblem] = []
        if !reader.isAtEnd {
            problems.append(
                IKEParseProblem(
                    .trailingBytes, offset: reader.offset, version.problems, in: .message,
                    .trailing(reader.remaining, after: length)))
            reader.skip(reader.remaining)
        }
        message.skip(IKEHeader.length)
        return .success(Frame(header: header, payloads: message, cutAtEnd: length > available, problems: problems))
    }

    /// One payload's generic header and where its body lies.
    struct PayloadHeader {
        var type: UInt8
        /// Next Payload: the type of the payload after this one (IKEv2 SK/SKF: the first inner one).
        var next: UInt8
        /// The byte after Next Payload (IKEv2: the critical bit).
        var flags: UInt8
        /// The whole payload, generic header included.
        var range: Range<Int>
        var body: ByteReader
    }

    /// How a walk ended.
    struct Walked {
        /// Just after the last payload read (where the chain started when none was).
        var end: Int
        /// True when the chain reached a payload whose Next Payload is 0 (or started with 0);
        /// false when it stopped on a problem or because `visit` stopped it.
        var isComplete: Bool
    }

    /// Walks the payload chain in `reader` from a payload of type `first`, calling `visit` with
    /// each payload's header and body until one says none follows, `visit` answers false, or
    /// a generic header does not fit. Every step advances (a length below 4 stops the walk)
    /// and at most `version.maxPayloads` payloads are visited.
    ///
    /// `cutAtEnd`: the capture cut the message at the reader's end; the payload running past
    /// it goes to `cut` (with its length when its header was read) after a `cutByCapture`
    /// problem, instead of being a length error.
    static func walk(
        _ reader: inout ByteReader, first: UInt8, _ version: Version, cutAtEnd: Bool,
        problems: inout [IKEParseProblem], cut: (UInt8, Range<Int>, IKEParseProblem) -> Void,
        visit: (PayloadHeader, inout [IKEParseProblem]) -> Bool
    ) -> Walked {
        var next = first
        var count = 0
        while next != noNextPayload {
            let type = next
            let cursor = reader.offset
            let left = reader.remaining
            guard count < version.maxPayloads else {
                problems.append(
                    IKEParseProblem(
                        .tooManyPayloads, offset: cursor, version.problems, in: .message,
                        .tooMany(declared: nil, limit: version.maxPayloads)))
                return Walked(end: cursor, isComplete: false)
            }
            func cutHere(_ length: Int?) -> Walked {
                let problem = IKEParseProblem(
                    .cutByCapture, offset: cursor, version.problems, in: .payload(type),
                    .captured(left, of: length))
                problems.append(problem)
                cut(type, cursor..<reader.bounds.upperBound, problem)
                reader.skip(left)
                return Walked(end: reader.offset, isComplete: false)
            }
            var header = reader
            guard let nextField = header.readUInt8(), let flags = header.readUInt8(),
                let lengthField = header.readUInt16()
            else {
                if cutAtEnd { return cutHere(nil) }
                problems.append(
                    IKEParseProblem(
                        .truncatedPayloadHeader, offset: cursor, version.problems, in: .payload(type),
                        .short(needed: genericHeaderLength, available: left)))
                return Walked(end: cursor, isComplete: false)
            }
            // RFC 7296 3.2 (RFC 2408 3.2 alike): "Payload Length (2 octets, unsigned integer) -
            // Length in octets of the current payload, including the generic payload header."
            let length = Int(lengthField)
            guard length >= genericHeaderLength else {
                problems.append(
                    IKEParseProblem(
                        .badPayloadLength, offset: cursor + 2, version.problems, in: .payload(type),
                        .belowHeader(length, header: genericHeaderLength)))
                return Walked(end: cursor, isComplete: false)
            }
            guard var payload = reader.readReader(length) else {
                if cutAtEnd { return cutHere(length) }
                problems.append(
                    IKEParseProblem(
                        .payloadBeyondEnd, offset: cursor + 2, version.problems, in: .payload(type),
                        .length(length, available: left)))
                return Walked(end: cursor, isComplete: false)
            }
            payload.skip(genericHeaderLength)
            count += 1
            guard
                visit(
                    PayloadHeader(
                        type: type, next: nextField, flags: flags, range: payload.bounds,
                        body: payload), &problems)
            else {
                return Walked(end: reader.offset, isComplete: false)
            }
            next = nextField
        }
        return Walked(end: reader.offset, isComplete: true)
    }

    /// The SPIs of a Delete payload (RFC 7296 3.11, RFC 2408 3.15), `count` of `spiSize` bytes
    /// each from the reader's cursor; `countOffset` is where the count field was. The count is
    /// checked against the bytes present before anything is built from it.
    static func deleteSPIs(
        _ reader: inout ByteReader, count: Int, spiSize: Int, countOffset: Int, limit: Int,
        _ version: IKEParseProblem.Version, problems: inout [IKEParseProblem]
    ) -> Result<[[UInt8]], IKEParseProblem> {
        let available = reader.remaining
        let needed = count * spiSize
        // A count of SPIs of size 0 is as wrong as more SPIs than the bytes present.
        guard count == 0 || spiSize > 0, needed <= available else {
            return .failure(
                IKEParseProblem(
                    .badDeleteCount, offset: countOffset, version, in: .delete,
                    .spis(count, size: spiSize, available: available)))
        }
        if needed < available {
            problems.append(
                IKEParseProblem(
                    .trailingBytes, offset: reader.offset + needed, version, in: .delete,
                    .trailing(available - needed, after: count)))
        }
        var kept = count
        if count > limit {
            kept = limit
            problems.append(
                IKEParseProblem(
                    .tooManyDeleteSPIs, offset: countOffset, version, in: .delete,
                    .tooMany(declared: count, limit: limit)))
        }
        var spis: [[UInt8]] = []
        spis.reserveCapacity(kept)
        for _ in 0..<kept {
            guard let spi = reader.readBytes(spiSize) else { break }
            spis.append(spi)
        }
        return .success(spis)
    }

    /// A body of at least `count` bytes, or a `truncatedBody` problem in `part`.
    static func needs(
        _ reader: ByteReader, _ count: Int, _ version: IKEParseProblem.Version, _ part: IKEParseProblem.Part
    ) -> IKEParseProblem? {
        reader.remaining >= count
            ? nil
            : IKEParseProblem(
                .truncatedBody, offset: reader.offset, version, in: part,
                .short(needed: count, available: reader.remaining))
    }
}

extension IKEFraming {
    /// A `badRange` problem when `range` lies outside `bytes` (the entry points that take a
    /// buffer and a range check it; a `ByteReader` cannot reach outside its array).
    static func outside(
        _ bytes: [UInt8], _ range: Range<Int>, _ version: IKEParseProblem.Version
    ) -> IKEParseProblem? {
        guard range.lowerBound < 0 || range.upperBound > bytes.count else { return nil }
        return IKEParseProblem(
            .badRange, offset: max(range.lowerBound, 0), version, in: .message,
            .range(range, bufferSize: bytes.count))
    }
}
