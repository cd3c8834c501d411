/// D (RFC 7296 3.11): Protocol ID, SPI Size, Num of SPIs, SPIs.
public struct IKEv2Delete: Sendable, Equatable {
    public var protocolID: UInt8
    public var spiSize: UInt8
    public var spis: [[UInt8]]

    public init(protocolID: UInt8, spiSize: UInt8, spis: [[UInt8]]) {
        self.protocolID = protocolID
        self.spiSize = spiSize
        self.spis = spis
    }

    public var protocolName: String { IKEv2Names.protocolName(protocolID) }

    /// Protocol ID (1), SPI Size (1), Num of SPIs (2).
    static let headerLength = 4

    static func parse(_ bytes: [UInt8], range: Range<Int>, problems: inout [IKEv2ParseProblem]) -> Result<IKEv2Delete, IKEv2ParseProblem> {
        let start = range.lowerBound
        guard range.count >= headerLength else {
            return .failure(IKEv2ParseProblem(.truncatedBody, offset: start, "D: body of \(range.count) bytes, needs \(headerLength)"))
        }
        let spiSize = Int(bytes[start + 1])
        let count = Int(IKEv2Wire.u16(bytes, start + 2))
        let available = range.count - headerLength
        var delete = IKEv2Delete(protocolID: bytes[start], spiSize: bytes[start + 1], spis: [])
        // The count is checked against the bytes present before anything is built from it.
        if count > 0 && spiSize == 0 {
            return .failure(IKEv2ParseProblem(.badDeleteCount, offset: start + 2, "D: \(count) SPIs of size 0"))
        }
        let needed = count * spiSize
        guard needed <= available else {
            return .failure(IKEv2ParseProblem(.badDeleteCount, offset: start + 2,
                                              "D: \(count) SPIs of \(spiSize) bytes need \(needed) bytes, \(available) present"))
        }
        if needed < available {
            problems.append(IKEv2ParseProblem(.trailingBytes, offset: start + headerLength + needed,
                                              "D: \(available - needed) bytes after the \(count) SPIs"))
        }
        var kept = count
        if count > IKEv2Limits.maxDeleteSPIs {
            kept = IKEv2Limits.maxDeleteSPIs
            problems.append(IKEv2ParseProblem(.tooManyDeleteSPIs, offset: start + 2,
                                              "D: \(count) SPIs, only the first \(IKEv2Limits.maxDeleteSPIs) kept"))
        }
        delete.spis.reserveCapacity(kept)
        var cursor = start + headerLength
        for _ in 0..<kept {
            delete.spis.append(Array(bytes[cursor..<(cursor + spiSize)]))
            cursor += spiSize
        }
        return .success(delete)
    }
}
