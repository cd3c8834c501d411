import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

@Suite struct IKEv1IVStateTests {
    static let keI = [UInt8](repeating: 0x11, count: 128)
    static let keR = [UInt8](repeating: 0x22, count: 128)

    func block(_ byte: UInt8, _ size: Int = 16) -> [UInt8] { [UInt8](repeating: byte, count: size) }

    @Test func chainsAsRFC2409AppendixBSays() throws {
        var state = try IKEv1IVState(hash: .sha256, keInitiator: Self.keI, keResponder: Self.keR, blockSize: 16)
        let initial = Array(try Digest.hash(.sha256, Self.keI + Self.keR).prefix(16))
        #expect(state.ivForPhase1() == initial)
        #expect(try state.ivForExchange(messageID: 0) == initial)
        try state.phase1MessageDecrypted(lastBlock: block(1))
        #expect(state.ivForPhase1() == block(1))
        try state.exchangeMessageDecrypted(messageID: 0, lastBlock: block(2))
        #expect(state.ivForPhase1() == block(2))
        // A phase-2 exchange starts at hash(last phase-1 block | M-ID), then chains.
        let mid: UInt32 = 0x0102_0304
        let start = Array(try Digest.hash(.sha256, block(2) + [1, 2, 3, 4]).prefix(16))
        #expect(try state.ivForExchange(messageID: mid) == start)
        try state.exchangeMessageDecrypted(messageID: mid, lastBlock: block(3))
        #expect(try state.ivForExchange(messageID: mid) == block(3))
        try state.exchangeMessageDecrypted(messageID: mid, lastBlock: block(4))
        #expect(try state.ivForExchange(messageID: mid) == block(4))
        // Another exchange is independent, and still starts from the last phase-1 block.
        #expect(
            try state.ivForExchange(messageID: 7)
                == Array(try Digest.hash(.sha256, block(2) + [0, 0, 0, 7]).prefix(16)))
        #expect(state.ivForPhase1() == block(2))
        #expect(state.rememberedExchanges == [mid])
    }

    @Test func retransmissionsGetTheIVOfTheirFirstCopy() throws {
        var state = try IKEv1IVState(hash: .md5, keInitiator: Self.keI, keResponder: Self.keR, blockSize: 8)
        let mid: UInt32 = 42
        let iv1 = try state.ivForExchange(messageID: mid)
        try state.exchangeMessageDecrypted(messageID: mid, lastBlock: block(0xa1, 8))
        let iv2 = try state.ivForExchange(messageID: mid)
        try state.exchangeMessageDecrypted(messageID: mid, lastBlock: block(0xa2, 8))
        #expect(state.retransmissionIV(messageID: mid, lastBlock: block(0xa1, 8)) == iv1)
        #expect(state.retransmissionIV(messageID: mid, lastBlock: block(0xa2, 8)) == iv2)
        #expect(state.retransmissionIV(messageID: mid, lastBlock: block(0xa3, 8)) == nil)
        #expect(state.retransmissionIV(messageID: 43, lastBlock: block(0xa1, 8)) == nil)
        // Looking up does not advance anything.
        #expect(try state.ivForExchange(messageID: mid) == block(0xa2, 8))
        // Phase 1 too.
        let p1 = state.ivForPhase1()
        try state.phase1MessageDecrypted(lastBlock: block(0xb1, 8))
        #expect(state.retransmissionIV(messageID: 0, lastBlock: block(0xb1, 8)) == p1)
        // Advancing over a retransmission of the latest message leaves the chain where it was.
        try state.phase1MessageDecrypted(lastBlock: block(0xb1, 8))
        #expect(state.ivForPhase1() == block(0xb1, 8))
    }

    @Test func memoryIsBounded() throws {
        var state = try IKEv1IVState(hash: .sha1, keInitiator: Self.keI, keResponder: Self.keR, blockSize: 16)
        let count = IKEv1IVState.maxExchanges + 3
        for mid in 1...UInt32(count) {
            try state.exchangeMessageDecrypted(messageID: mid, lastBlock: block(UInt8(mid)))
        }
        #expect(state.rememberedExchanges == Array(4...UInt32(count)))
        // The forgotten exchange starts afresh; a kept one continues its chain.
        #expect(
            try state.ivForExchange(messageID: 1)
                == Array(try Digest.hash(.sha1, state.ivForPhase1() + [0, 0, 0, 1]).prefix(16)))
        #expect(try state.ivForExchange(messageID: 4) == block(4))
        // Using an exchange makes it the most recent.
        try state.exchangeMessageDecrypted(messageID: 4, lastBlock: block(0xee))
        #expect(state.rememberedExchanges.last == 4)
        // Each chain remembers a bounded number of messages for retransmissions.
        for i in 0..<(IKEv1IVState.maxRememberedMessages + 2) {
            try state.phase1MessageDecrypted(lastBlock: block(0x80 + UInt8(i)))
        }
        #expect(state.retransmissionIV(messageID: 0, lastBlock: block(0x80)) == nil)
        #expect(state.retransmissionIV(messageID: 0, lastBlock: block(0x81)) == nil)
        #expect(state.retransmissionIV(messageID: 0, lastBlock: block(0x82)) == block(0x81))
    }

    @Test func badSizesAreTypedErrors() throws {
        #expect(
            v1Code { _ = try IKEv1IVState(hash: .md5, keInitiator: [], keResponder: [], blockSize: 0) }
                == .badBlockSize)
        #expect(
            v1Code { _ = try IKEv1IVState(hash: .md5, keInitiator: [], keResponder: [], blockSize: -8) }
                == .badBlockSize)
        #expect(
            v1Code { _ = try IKEv1IVState(hash: .md5, keInitiator: [], keResponder: [], blockSize: 17) }
                == .badBlockSize)
        #expect(v1Code { _ = try IKEv1IVState(hash: .md5, phase1IV: []) } == .badBlockSize)
        #expect(
            v1Code { _ = try IKEv1IVState(hash: .md5, phase1IV: [UInt8](repeating: 0, count: 20)) } == .badBlockSize
        )
        var state = try IKEv1IVState(hash: .md5, phase1IV: block(9, 8))
        #expect(state.blockSize == 8)
        #expect(v1Code { try state.phase1MessageDecrypted(lastBlock: block(1, 16)) } == .badIVLength)
        #expect(v1Code { try state.exchangeMessageDecrypted(messageID: 5, lastBlock: []) } == .badIVLength)
        #expect(v1Code { try state.exchangeMessageDecrypted(messageID: 0, lastBlock: block(1, 7)) } == .badIVLength)
        // Nothing moved.
        #expect(state.ivForPhase1() == block(9, 8))
        #expect(state.rememberedExchanges.isEmpty)
    }
}
