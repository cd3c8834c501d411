import SpiglassIKE
import Testing

@testable import SpiglassAnalysis

/// The words `IKEParseProblemText` gives the problems the parsers report, for the problems no
/// capture reaches through the reporters (a message the dissector would not hand over, a range
/// outside the buffer, SK inside decrypted content). The wording is the one the parsers
/// composed before the problems became values.
struct IKEParseProblemTextTests {
    /// An IKE header (SPIs 1 and 2, exchange 34) of `version` announcing `length` bytes and a
    /// first payload of type `first`, then `body`.
    static func message(version: UInt8, first: UInt8, length: Int, body: [UInt8] = []) -> [UInt8] {
        var bytes = [UInt8](repeating: 1, count: 8) + [UInt8](repeating: 2, count: 8)
        bytes += [first, version << 4, 34, 0x08, 0, 0, 0, 0]
        bytes += [
            UInt8(length >> 24 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff),
        ]
        return bytes + body
    }

    static func failure<T>(_ result: Result<T, IKEParseProblem>) -> IKEParseProblem? {
        if case .failure(let problem) = result { return problem }
        return nil
    }

    @Test func messageProblemsAreWordedPerVersion() throws {
        let short = [UInt8](repeating: 0, count: 20)
        let v2Short = try #require(Self.failure(IKEv2Parser.parseMessage(short, range: 0..<20)))
        #expect(IKEParseProblemText.reason(v2Short) == "20 bytes, the IKE header needs 28")
        let v1Short = try #require(Self.failure(IKEv1Parser.parseMessage(short, range: 0..<20)))
        #expect(IKEParseProblemText.reason(v1Short) == "20 bytes, the ISAKMP header needs 28")

        let v3 = Self.message(version: 3, first: 0, length: 28)
        let notV2 = try #require(Self.failure(IKEv2Parser.parseMessage(v3, range: 0..<28)))
        #expect(notV2.code == .notIKEv2)
        #expect(IKEParseProblemText.reason(notV2) == "major version 3, not IKEv2")
        let notV1 = try #require(Self.failure(IKEv1Parser.parseMessage(v3, range: 0..<28)))
        #expect(IKEParseProblemText.reason(notV1) == "major version 3, not IKEv1")

        let outside = try #require(Self.failure(IKEv2Parser.parseMessage(v3, range: 4..<40)))
        #expect(outside.code == .badRange)
        #expect(IKEParseProblemText.reason(outside) == "range 4..<40 outside a buffer of 28 bytes")

        let below = Self.message(version: 2, first: 0, length: 12)
        let small = try #require(Self.failure(IKEv2Parser.parseMessage(below, range: 0..<28)))
        #expect(IKEParseProblemText.reason(small) == "header length 12 is smaller than the 28-byte header")
    }

    @Test func trailingBytesNameTheMessageLength() throws {
        let bytes = Self.message(version: 2, first: 0, length: 28) + [9, 9, 9]
        let message = try IKEv2Parser.parseMessage(bytes, range: 0..<bytes.count).get()
        #expect(message.problems.map(IKEParseProblemText.reason) == ["3 bytes after the 28-byte message"])
    }

    @Test func encryptedInsideDecryptedContentIsNamed() {
        // A Nonce (40) whose Next Payload is SK (46), then an SK payload of 8 bytes.
        let chain: [UInt8] = [46, 0, 0, 8, 1, 2, 3, 4] + [0, 0, 0, 8, 5, 6, 7, 8]
        let parsed = IKEv2Parser.parsePayloadChain(chain, range: 0..<chain.count, firstPayload: 40)
        #expect(parsed.problems.map(IKEParseProblemText.reason) == ["SK inside decrypted content"])
    }

    @Test func everyDetailShapeHasWords() {
        let cases: [(IKEParseProblem, String)] = [
            (
                IKEParseProblem(.badDeleteCount, offset: 0, .v2, in: .delete, .spis(3, size: 4, available: 8)),
                "D: 3 SPIs of 4 bytes need 12 bytes, 8 present"
            ),
            (
                IKEParseProblem(.cutByCapture, offset: 0, .v1, in: .payload(1), .captured(10, of: nil)),
                "SA payload cut by the capture: 10 of its ? bytes captured"
            ),
            (
                IKEParseProblem(.badAttribute, offset: 0, .v1, in: .notify(24576), .short(needed: 4, available: 2)),
                "N(RESPONDER-LIFETIME): attribute needs 4 bytes, 2 left"
            ),
            (
                IKEParseProblem(
                    .badConfigAttribute, offset: 0, .v2, in: .configuration, .attribute(1, length: 9, available: 4)),
                "CP: INTERNAL_IP4_ADDRESS length 9, 4 bytes left"
            ),
            (
                IKEParseProblem(
                    .badTrafficSelector, offset: 0, .v2, in: .trafficSelector(2, of: 3),
                    .address(type: 8, length: 16, required: 40)),
                "TS: IPv6 range selector of length 16, must be 40"
            ),
            (
                IKEParseProblem(.badLastSubstructure, offset: 0, .v1, in: .transform, .value(7, against: 3)),
                "SA: transform Next Payload 7, expected 3 or 0"
            ),
            (
                IKEParseProblem(.tooManyAttributes, offset: 0, .v1, in: .transform, .tooMany(declared: nil, limit: 32)),
                "SA: transform: more than 32 attributes; the rest is skipped"
            ),
        ]
        for (problem, words) in cases {
            #expect(IKEParseProblemText.reason(problem) == words)
        }
    }
}
