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
        /// "IKE" or "ISAKMP": what the header is called in problems.
        var headerName: String
        var name: String
        var wrongVersion: IKEParseProblem.Code
        var maxPayloads: Int
        var payloadName: @Sendable (UInt8) -> String

        static let v1 = Version(
            major: 1, headerName: "ISAKMP", name: "IKEv1", wrongVersion: .notIKEv1,
            maxPayloads: IKEv1Limits.maxPayloadsPerMessage, payloadName: IKEv1Names.payloadName)
        static let v2 = Version(
            major: 2, headerName: "IKE", name: "IKEv2", wrongVersion: .notIKEv2,
            maxPayloads: IKEv2Limits.maxPayloadsPerMessage, payloadName: IKEv2Names.payloadName)
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
                    .truncatedHeader, offset: start,
                    "\(available) bytes, the \(version.headerName) header needs \(IKEHeader.length)"))
        }
        guard header.majorVersion == version.major else {
            return .failure(
                IKEParseProblem(
                    version.wrongVersion, offset: start + 17,
                    "major version \(header.majorVersion), not \(version.name)"))
        }
        // RFC 7296 3.1: "Length (4 octets, unsigned integer): Length of the total message
        // (header + payloads) in octets." RFC 2408 3.1 alike, adding "Encryption can expand
        // the size of an ISAKMP message."
        let length = Int(header.length)
        guard length >= IKEHeader.length else {
            return .failure(
                IKEParseProblem(
                    .badMessageLength, offset: start + 24,
                    "header length \(length) is smaller than the \(IKEHeader.length)-byte header"))
        }
        if length > available && !cutByCapture {
            return .failure(
                IKEParseProblem(
                    .truncatedMessage, offset: start + 24,
                    "header length \(length), \(available) bytes present"))
        }
        var message = reader.readReader(min(length, available)) ?? ByteReader(reader.bytes, range: start..<start)
        header.range = message.bounds
        var problems: [IKEParseProblem] = []
        if !reader.isAtEnd {
            problems.append(
                IKEParseProblem(
                    .trailingBytes, offset: reader.offset,
                    "\(reader.remaining) bytes after the \(length)-byte message"))
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
            let name = version.payloadName(type)
            guard count < version.maxPayloads else {
                problems.append(
                    IKEParseProblem(
                        .tooManyPayloads, offset: cursor,
                        "more than \(version.maxPayloads) payloads; the rest is skipped"))
                return Walked(end: cursor, isComplete: false)
            }
            func cutHere(_ length: Int?) -> Walked {
                let problem = IKEParseProblem(
                    .cutByCapture, offset: cursor,
                    "\(name) payload cut by the capture: \(left) of its \(length.map(String.init) ?? "?") bytes captured"
                )
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
                        .truncatedPayloadHeader, offset: cursor,
                        "\(name) announced but \(left) bytes left, its header needs \(genericHeaderLength)"))
                return Walked(end: cursor, isComplete: false)
            }
            // RFC 7296 3.2 (RFC 2408 3.2 alike): "Payload Length (2 octets, unsigned integer) -
            // Length in octets of the current payload, including the generic payload header."
            let length = Int(lengthField)
            guard length >= genericHeaderLength else {
                problems.append(
                    IKEParseProblem(
                        .badPayloadLength, offset: cursor + 2,
                        "\(name) payload length \(length) is smaller than its \(genericHeaderLength)-byte header"))
                return Walked(end: cursor, isComplete: false)
            }
            guard var payload = reader.readReader(length) else {
                if cutAtEnd { return cutHere(length) }
                problems.append(
                    IKEParseProblem(
                        .payloadBeyondEnd, offset: cursor + 2,
                        "\(name) payload length \(length), \(left) bytes left"))
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
        problems: inout [IKEParseProblem]
    ) -> Result<[[UInt8]], IKEParseProblem> {
        if count > 0 && spiSize == 0 {
            return .failure(IKEParseProblem(.badDeleteCount, offset: countOffset, "D: \(count) SPIs of size 0"))
        }
        let available = reader.remaining
        let needed = count * spiSize
        guard needed <= available else {
            return .failure(
                IKEParseProblem(
                    .badDeleteCount, offset: countOffset,
                    "D: \(count) SPIs of \(spiSize) bytes need \(needed) bytes, \(available) present"))
        }
        if needed < available {
            problems.append(
                IKEParseProblem(
                    .trailingBytes, offset: reader.offset + needed,
                    "D: \(available - needed) bytes after the \(count) SPIs"))
        }
        var kept = count
        if count > limit {
            kept = limit
            problems.append(
                IKEParseProblem(
                    .tooManyDeleteSPIs, offset: countOffset,
                    "D: \(count) SPIs, only the first \(limit) kept"))
        }
        var spis: [[UInt8]] = []
        spis.reserveCapacity(kept)
        for _ in 0..<kept {
            guard let spi = reader.readBytes(spiSize) else { break }
            spis.append(spi)
        }
        return .success(spis)
    }

    /// A body of at least `count` bytes, or a `truncatedBody` problem naming `name`.
    static func needs(_ reader: ByteReader, _ count: Int, _ name: String) -> IKEParseProblem? {
        reader.remaining >= count
            ? nil
            : IKEParseProblem(
                .truncatedBody, offset: reader.offset,
                "\(name): body of \(reader.remaining) bytes, needs \(count)")
    }
}

extension IKEFraming {
    /// A `badRange` problem when `range` lies outside `bytes` (the entry points that take a
    /// buffer and a range check it; a `ByteReader` cannot reach outside its array).
    static func outside(_ bytes: [UInt8], _ range: Range<Int>) -> IKEParseProblem? {
        guard range.lowerBound < 0 || range.upperBound > bytes.count else { return nil }
        return IKEParseProblem(
            .badRange, offset: max(range.lowerBound, 0),
            "range \(range.lowerBound)..<\(range.upperBound) outside a buffer of \(bytes.count) bytes")
    }
}
