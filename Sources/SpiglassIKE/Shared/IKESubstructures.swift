import SpiglassWire

/// The proposal and transform substructures of an SA payload, IKEv1 (RFC 2408 3.5-3.6) and
/// IKEv2 (RFC 7296 3.3.1-3.3.2) alike: a list of items, each with a 1-byte field that says
/// whether another follows, a reserved byte and a 2-byte length that includes its 8-byte
/// header. Only the item's own fields differ (and what the reporter calls them).
struct IKESubstructures {
    /// What problems are tagged with: the version, and `.proposal` or `.transform`.
    var version: IKEParseProblem.Version
    var part: IKEParseProblem.Part
    var limit: Int
    var tooMany: IKEParseProblem.Code
    var bad: IKEParseProblem.Code
    /// The value that says another item follows (0 says none does): IKEv2 "Last Substruc"
    /// (RFC 7296 3.3.1), IKEv1 "Next Payload" (RFC 2408 3.5).
    var more: UInt8

    /// Last Substruc / Next Payload (1), RESERVED (1), Length (2), then four bytes of the
    /// item's own.
    static let headerLength = 8
    static let last: UInt8 = 0

    /// The items filling the reader, each parsed by `item` from a reader over its bytes after
    /// the first four (its own header fields first). At most `limit` (the rest is a problem);
    /// one whose length does not fit fails the list, as does `item`. `declared`: the count
    /// the proposal announces for its transforms, checked when the list was read to its end.
    func parse<Item>(
        _ reader: inout ByteReader, declared: Int? = nil, problems: inout [IKEParseProblem],
        item: (
            inout ByteReader,
            inout [IKEParseProblem]
        ) -> Result<Item, IKEParseProblem>
    ) -> Result<[Item], IKEParseProblem> {
        let start = reader.offset
        var items: [Item] = []
        var sawLast = false
        while !reader.isAtEnd {
            let cursor = reader.offset
            guard items.count < limit else {
                problems.append(
                    IKEParseProblem(
                        tooMany, offset: cursor,
                        version, in: part, .tooMany(declared: nil, limit: limit)))
                return .success(items)
            }
            let left = reader.remaining
            guard left >= Self.headerLength, let next = reader.readUInt8(), reader.skip(1),
                let lengthField = reader.readUInt16()
            else {
                return .failure(
                    IKEParseProblem(
                        bad, offset: cursor,
                        version, in: part, .short(needed: Self.headerLength, available: left)))
            }
            let length = Int(lengthField)
            guard length >= Self.headerLength else {
                return .failure(
                    IKEParseProblem(
                        bad, offset: cursor,
                        version, in: part, .belowHeader(length, header: Self.headerLength)))
            }
            guard var body = reader.readReader(length - 4) else {
                return .failure(
                    IKEParseProblem(
                        bad, offset: cursor,
                        version, in: part, .length(length, available: left)))
            }
            switch item(&body, &problems) {
            case .failure(let problem): return .failure(problem)
            case .success(let parsed): items.append(parsed)
            }
            if next != Self.last && next != more {
                problems.append(
                    IKEParseProblem(
                        .badLastSubstructure, offset: cursor,
                        version, in: part, .value(Int(next), against: Int(more))))
            }
            if next == Self.last {
                sawLast = true
                break
            }
        }
        if sawLast, !reader.isAtEnd {
            problems.append(
                IKEParseProblem(
                    .trailingBytes, offset: reader.offset,
                    version, in: part, .trailing(reader.remaining, after: nil)))
        } else if !sawLast, !items.isEmpty {
            problems.append(
                IKEParseProblem(
                    .badLastSubstructure, offset: reader.offset,
                    version, in: part))
        }
        if let declared, items.count != declared {
            problems.append(
                IKEParseProblem(
                    .countMismatch, offset: start,
                    version, in: part, .count(declared: declared, found: items.count)))
        }
        return .success(items)
    }

    /// A proposal's own fields (IKEv2 RFC 7296 3.3.1, IKEv1 RFC 2408 3.5, the same layout):
    /// Proposal Num, Protocol ID, SPI Size, Num Transforms, then the SPI.
    struct ProposalHeader {
        var number: UInt8
        var protocolID: UInt8
        var declaredTransforms: Int
        var spi: [UInt8]
    }

    /// The proposal header after the first four bytes; the reader ends at the transforms.
    func proposalHeader(_ reader: inout ByteReader) -> Result<ProposalHeader, IKEParseProblem> {
        let start = reader.offset
        guard let number = reader.readUInt8(), let protocolID = reader.readUInt8(), let spiSize = reader.readUInt8(),
            let declared = reader.readUInt8()
        else {
            return .failure(IKEParseProblem(.badProposal, offset: start - 4, version, in: .proposal))
        }
        guard let spi = reader.readBytes(Int(spiSize)) else {
            return .failure(
                IKEParseProblem(
                    .badSPISize, offset: start + 2,
                    version, in: .proposal, .length(Int(spiSize), available: reader.bounds.count + 4)))
        }
        return .success(
            ProposalHeader(
                number: number, protocolID: protocolID, declaredTransforms: Int(declared),
                spi: spi))
    }

    static func proposals(limit: Int, _ version: IKEParseProblem.Version) -> IKESubstructures {
        IKESubstructures(
            version: version, part: .proposal, limit: limit, tooMany: .tooManyProposals, bad: .badProposal, more: 2)
    }

    static func transforms(limit: Int, _ version: IKEParseProblem.Version) -> IKESubstructures {
        IKESubstructures(
            version: version, part: .transform, limit: limit, tooMany: .tooManyTransforms, bad: .badTransform, more: 3)
    }
}
