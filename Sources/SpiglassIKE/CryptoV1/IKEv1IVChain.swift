/// The CBC IVs of one IKEv1 SA: a pure state machine the caller keeps per ISAKMP SA and feeds
/// with the last ciphertext block of every message it decrypts. It never decrypts.
///
/// RFC 2409 Appendix B, in short (paraphrased):
///
///     phase 1:  IV = hash(g^xi | g^xr), cut to the cipher block, for the first encrypted
///               message; every later one takes the last ciphertext block of the previous
///               encrypted message as its IV.
///     phase 2:  IV = hash(last phase-1 CBC output block | M-ID), cut likewise, for the first
///               message of the exchange; later messages of the same exchange again take
///               the last ciphertext block of the previous one.
///
/// Each chain runs across both directions. Informational and Transaction (Mode Config, XAUTH)
/// exchanges are "phase 2" here: their IV comes from the last phase-1 block and their own
/// Message ID (RFC 2409 5.7). Phase 1 is the chain of Message ID 0 (RFC 2408 3.1: phase-1
/// messages carry M-ID 0).
///
/// Retransmissions: a retransmitted message is byte-for-byte the first copy, so it must be
/// decrypted with the IV of the first copy, not the chain's current IV (with it, the first
/// block comes out garbled). Each chain remembers the last few messages it advanced over
/// (their last block and the IV they were decrypted with): `retransmissionIV` returns the IV
/// of an earlier message that ended with the same block. Decrypting with it does not advance
/// anything; advancing over a retransmission of the latest message is harmless (the chain
/// value stays the same block).
///
/// Each peer keeps its own chains and advances them only over messages it could decrypt. When
/// the peers disagree (a message one side could not decrypt), a copy of the state from before
/// that message (this is a value type) gives the other side's IVs.
public struct IKEv1IVState: Sendable, Equatable {
    /// Phase-2 and Informational exchanges whose chains are kept. Peers run a few Quick Modes
    /// at once (rekeys, several tunnels); beyond this the least recently used chain is
    /// forgotten and a late message of it gets a fresh IV (which changes its first block:
    /// the caller most likely sees `malformedPlaintext`).
    public static let maxExchanges = 32
    /// Messages per chain remembered for `retransmissionIV`.
    public static let maxRememberedMessages = 8

    private struct Remembered: Sendable, Equatable {
        var lastBlock: [UInt8]
        var iv: [UInt8]
    }

    private struct Chain: Sendable, Equatable {
        /// The IV of the next message.
        var iv: [UInt8]
        /// Oldest first.
        var history: [Remembered] = []

        mutating func advance(lastBlock: [UInt8]) {
            history.append(Remembered(lastBlock: lastBlock, iv: iv))
            if history.count > IKEv1IVState.maxRememberedMessages { history.removeFirst() }
            iv = lastBlock
        }

        func ivBefore(lastBlock: [UInt8]) -> [UInt8]? {
            history.last(where: { $0.lastBlock == lastBlock })?.iv
        }
    }

    private struct Exchange: Sendable, Equatable {
        var messageID: UInt32
        var chain: Chain
    }

    public let hash: IKEv1Hash
    public let blockSize: Int
    private var phase1: Chain
    /// Least recently used first.
    private var exchanges: [Exchange] = []

    /// Starts the phase-1 chain at hash(g^xi | g^xr), cut to `blockSize`. `keInitiator` and
    /// `keResponder` are the KE payload bodies of the initiator and the responder.
    public init(hash: IKEv1Hash, keInitiator: [UInt8], keResponder: [UInt8], blockSize: Int)
        throws(IKEv1ProtectionError)
    {
        try Self.checkBlockSize(blockSize, hash)
        self.hash = hash
        self.blockSize = blockSize
        phase1 = Chain(iv: try Self.digest(hash, keInitiator + keResponder, blockSize))
    }

    /// Starts the phase-1 chain at a known IV (one cipher block), for example the value a
    /// daemon logged.
    public init(hash: IKEv1Hash, phase1IV: [UInt8]) throws(IKEv1ProtectionError) {
        try Self.checkBlockSize(phase1IV.count, hash)
        self.hash = hash
        blockSize = phase1IV.count
        phase1 = Chain(iv: phase1IV)
    }

    /// The IV of the next phase-1 message (Message ID 0).
    public func ivForPhase1() -> [UInt8] { phase1.iv }

    /// Records that a phase-1 message ending with the ciphertext block `lastBlock` was
    /// decrypted (or is known to be part of the chain): the next one chains from it.
    public mutating func phase1MessageDecrypted(lastBlock: [UInt8]) throws(IKEv1ProtectionError) {
        try checkBlock(lastBlock)
        phase1.advance(lastBlock: lastBlock)
    }

    /// The IV of the next message of the exchange `messageID`: for one not seen yet,
    /// hash(last phase-1 block | M-ID) cut to the block size; else the last block of its
    /// previous message. Message ID 0 is phase 1.
    public func ivForExchange(messageID: UInt32) throws(IKEv1ProtectionError) -> [UInt8] {
        if messageID == 0 { return phase1.iv }
        if let exchange = exchanges.first(where: { $0.messageID == messageID }) { return exchange.chain.iv }
        return try initialIV(messageID)
    }

    /// Records that a message of exchange `messageID` ending with `lastBlock` was decrypted.
    public mutating func exchangeMessageDecrypted(messageID: UInt32, lastBlock: [UInt8]) throws(IKEv1ProtectionError) {
        if messageID == 0 {
            try phase1MessageDecrypted(lastBlock: lastBlock)
            return
        }
        try checkBlock(lastBlock)
        var exchange: Exchange
        if let index = exchanges.firstIndex(where: { $0.messageID == messageID }) {
            exchange = exchanges.remove(at: index)
        } else {
            exchange = Exchange(messageID: messageID, chain: Chain(iv: try initialIV(messageID)))
        }
        exchange.chain.advance(lastBlock: lastBlock)
        exchanges.append(exchange)
        if exchanges.count > Self.maxExchanges { exchanges.removeFirst() }
    }

    /// The IV an earlier message of chain `messageID` (0: phase 1) that ended with the
    /// ciphertext block `lastBlock` was decrypted with; nil if none is remembered. For a
    /// retransmission, which the caller recognises by its bytes.
    public func retransmissionIV(messageID: UInt32, lastBlock: [UInt8]) -> [UInt8]? {
        if messageID == 0 { return phase1.ivBefore(lastBlock: lastBlock) }
        return exchanges.first(where: { $0.messageID == messageID })?.chain.ivBefore(lastBlock: lastBlock)
    }

    /// Message IDs of the exchanges whose chains are kept, least recently used first.
    public var rememberedExchanges: [UInt32] { exchanges.map(\.messageID) }

    // MARK: - Helpers

    private func initialIV(_ messageID: UInt32) throws(IKEv1ProtectionError) -> [UInt8] {
        try Self.digest(hash, phase1.iv + IKEv1KeyDerivation.bigEndian(messageID), blockSize)
    }

    private func checkBlock(_ block: [UInt8]) throws(IKEv1ProtectionError) {
        guard block.count == blockSize else {
            throw IKEv1ProtectionError(.badIVLength, .ivChain(.lastBlockLength(block.count, block: blockSize)))
        }
    }

    private static func checkBlockSize(_ blockSize: Int, _ hash: IKEv1Hash) throws(IKEv1ProtectionError) {
        guard blockSize > 0, blockSize <= hash.digestLength else {
            throw IKEv1ProtectionError(.badBlockSize, .ivChain(.blockSize(blockSize, digest: hash.digestLength, hash)))
        }
    }

    private static func digest(_ hash: IKEv1Hash, _ data: [UInt8], _ blockSize: Int) throws(IKEv1ProtectionError)
        -> [UInt8]
    {
        do throws(IKEKeyDerivationError) {
            return Array(try hash.digest(data).prefix(blockSize))
        } catch {
            throw IKEv1ProtectionError(.crypto, .ivChain(.ivHash(error)))
        }
    }
}
