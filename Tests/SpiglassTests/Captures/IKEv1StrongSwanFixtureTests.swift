import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// The strongSwan 5.9 IKEv1 fixtures (`Fixtures/strongswan-ikev1/<case>/`): both daemons
/// logged SKEYID*, Ka, the initial IV, the IV after every message ("next IV for MID"), the
/// Quick Mode DH secrets and every ESP key. For each case: Ka from SKEYID_e (Appendix B), the
/// phase-1 IV from the KE payloads, every encrypted message decrypted through the IV state,
/// the IV state against the logged IVs, every HASH (phase 1 with pre-shared keys, Quick Mode,
/// Informational, Transaction) verified, and the ESP keys derived from SKEYID_d (KEYMAT)
/// compared with the logged ones.
@Suite(.enabled(if: Paths.exists(Paths.fixture("strongswan-ikev1")), "no IKEv1 strongSwan fixtures"))
struct IKEv1StrongSwanFixtureTests {
    static let root = Paths.fixture("strongswan-ikev1")
    /// Cases handled on their own (see below).
    static let special: Set<String> = ["wrong-psk", "no-proposal"]

    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().filter { name in
            let dir = root + "/" + name
            return !special.contains(name) && Paths.exists(dir + "/capture.pcap")
                && Paths.exists(dir + "/charon-A.log") && Paths.exists(dir + "/charon-B.log")
        }
    }()

    struct Phase1 {
        var initiator: [UInt8]
        var cookieI: UInt64
        var cookieR: UInt64
        var attributes: [UInt16: UInt16]
        var hash: IKEv1Hash
        var encryption: IKEEncryptionAlgorithm
        var keyLength: Int
        var blockSize: Int
        var keI: [UInt8]
        var keR: [UInt8]
        var saI: [UInt8]
    }

    static func phase1(_ messages: [IKEv1CryptoWire.Message]) throws -> Phase1 {
        let initiator = try #require(messages.first).source
        var attributes: [UInt16: UInt16]?
        var keI: [UInt8]?
        var keR: [UInt8]?
        var saI: [UInt8]?
        for message in messages where !message.encrypted && message.messageID == 0 {
            guard let payloads = IKEv1CryptoWire.clearPayloads(message.bytes) else { continue }
            let fromInitiator = message.source == initiator
            if let sa = IKEv1CryptoWire.first(1, in: payloads) {
                if fromInitiator {
                    saI = saI ?? sa.body
                } else {
                    attributes = attributes ?? IKEv1CryptoWire.transformAttributes(sa.body)
                }
            }
            if let ke = IKEv1CryptoWire.first(4, in: payloads) {
                if fromInitiator { keI = keI ?? ke.body } else { keR = keR ?? ke.body }
            }
        }
        let chosen = try #require(attributes)
        let hash = try #require(IKEv1Hash(attribute: chosen[2] ?? 0))
        let encryption = try #require(
            IKEv1KeyDerivation.encryptionAlgorithm(attribute: chosen[1] ?? 0, keyLengthBits: chosen[14]))
        let (keyLength, blockSize): (Int, Int)
        switch encryption {
        case .des: (keyLength, blockSize) = (8, 8)
        case .tripleDES: (keyLength, blockSize) = (24, 8)
        case .aesCBC(let bits): (keyLength, blockSize) = (bits / 8, 16)
        default: throw IKEv1ProtectionError(.unsupportedAlgorithm, .sa(.encryptionNotSupported(encryption)))
        }
        let first = messages[0].bytes
        let answer = try #require(messages.first { $0.source != initiator }).bytes
        return Phase1(
            initiator: initiator, cookieI: IKEv1CryptoWire.be64(first, 0), cookieR: IKEv1CryptoWire.be64(answer, 8),
            attributes: chosen, hash: hash,
            encryption: encryption, keyLength: keyLength, blockSize: blockSize,
            keI: try #require(keI), keR: try #require(keR), saI: try #require(saI))
    }

    static func sa(_ p: Phase1, _ log: [String: [[UInt8]]]) throws -> IKESecurityAssociation {
        var sa = v1SA(initiator: p.cookieI, responder: p.cookieR)
        sa.skeyid = SecretBytes(try #require(log["SKEYID"]?.first))
        sa.skeyidD = SecretBytes(try #require(log["SKEYID_d"]?.first))
        sa.skeyidA = SecretBytes(try #require(log["SKEYID_a"]?.first))
        sa.skeyidE = SecretBytes(try #require(log["SKEYID_e"]?.first))
        return sa
    }

    @Test func fixturesAreFound() {
        #expect(Self.cases.count >= 5, "\(Self.cases)")
    }

    @Test(arguments: cases)
    func decryptsVerifiesAndDerivesKeys(_ name: String) throws {
        let dir = Self.root + "/" + name
        let messages = try IKEv1CryptoWire.messages(capture: dir + "/capture.pcap")
        let logA = try IKEv1CryptoWire.charonDumps(dir + "/charon-A.log")
        let logB = try IKEv1CryptoWire.charonDumps(dir + "/charon-B.log")
        let p = try Self.phase1(messages)
        let sa = try Self.sa(p, logA)
        #expect(sa == (try Self.sa(p, logB)), "both daemons derived the same SKEYIDs")

        // Ka (RFC 2409 Appendix B) and the phase-1 IV, against the logs.
        let ka = try IKEv1KeyDerivation.encryptionKey(hash: p.hash, skeyidE: sa.skeyidE, length: p.keyLength)
        #expect(ka == logA["encryption key Ka"]?.first)
        var state = try IKEv1IVState(hash: p.hash, keInitiator: p.keI, keResponder: p.keR, blockSize: p.blockSize)
        #expect(state.ivForPhase1() == logA["initial IV"]?.first)
        let protection = try IKEv1MessageProtection(sa: sa, encryption: p.encryption, hash: p.hash)

        var loggedIVs: [UInt32: Set<[UInt8]>] = [:]
        for log in [logA, logB] {
            for (label, values) in log where label.hasPrefix("next IV for MID ") {
                if let mid = UInt32(label.dropFirst("next IV for MID ".count)) {
                    loggedIVs[mid, default: []].formUnion(values)
                }
            }
        }

        var seen: Set<[UInt8]> = []
        var idBodies: [Bool: [UInt8]] = [:]
        var phase1Hashes = 0
        var quickModes: [UInt32: [[IKEv1CryptoWire.Payload]]] = [:]
        var quickModeOrder: [UInt32] = []
        var hashesVerified = 0
        for message in messages {
            let fromInitiator = message.source == p.initiator
            let mid = message.messageID
            let payloads: [IKEv1CryptoWire.Payload]
            if message.encrypted {
                let bytes = message.bytes
                let last = try protection.lastCiphertextBlock(message: bytes, messageRange: 0..<bytes.count).get()
                let retransmission = seen.contains(bytes)
                let iv =
                    retransmission
                    ? try #require(state.retransmissionIV(messageID: mid, lastBlock: last))
                    : try state.ivForExchange(messageID: mid)
                let plaintext = try protection.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: iv).get()
                if retransmission { continue }
                seen.insert(bytes)
                try state.exchangeMessageDecrypted(messageID: mid, lastBlock: plaintext.lastCiphertextBlock)
                // strongSwan logs the IV after each message of phase 1, Quick Mode and
                // Transaction exchanges (not of Informational ones).
                if message.exchangeType != 5 {
                    #expect(
                        loggedIVs[mid]?.contains(try state.ivForExchange(messageID: mid)) == true,
                        "\(name) frame \(message.frame) IV")
                }
                payloads = try #require(IKEv1CryptoWire.payloads(plaintext), "\(name) frame \(message.frame)")
                switch (mid, message.exchangeType) {
                case (0, _):
                    break
                case (_, 32):
                    var exchange = quickModes[mid] ?? []
                    if exchange.isEmpty { quickModeOrder.append(mid) }
                    exchange.append(payloads)
                    quickModes[mid] = exchange
                    let kind: IKEv1HashKind = [.quickMode1, .quickMode2, .quickMode3][min(exchange.count, 3) - 1]
                    let ni = exchange.first.flatMap { IKEv1CryptoWire.first(10, in: $0) }?.body ?? []
                    let nr = exchange.count > 1 ? IKEv1CryptoWire.first(10, in: exchange[1])?.body ?? [] : []
                    #expect(
                        try protection.verifyHash(
                            kind: kind, plaintext: plaintext, nonceInitiator: ni, nonceResponder: nr) == .ok,
                        "\(name) frame \(message.frame) \(kind)")
                    hashesVerified += 1
                default:
                    // Informational (5) and Transaction (6, Mode Config / XAUTH): prf(SKEYID_a, M-ID | payloads).
                    #expect(
                        try protection.verifyHash(kind: .informational, plaintext: plaintext) == .ok,
                        "\(name) frame \(message.frame)")
                    hashesVerified += 1
                }
            } else {
                guard mid == 0, let clear = IKEv1CryptoWire.clearPayloads(message.bytes) else { continue }
                payloads = clear
            }
            // Phase 1: HASH_I / HASH_R (pre-shared keys) over the sender's ID payload,
            // wherever the two appear (Main Mode 5 and 6, Aggressive Mode 1-3).
            guard mid == 0 else { continue }
            if let id = IKEv1CryptoWire.first(5, in: payloads) { idBodies[fromInitiator] = id.body }
            if let hashPayload = IKEv1CryptoWire.first(8, in: payloads) {
                let computed = try protection.phase1Hash(
                    sentByInitiator: fromInitiator, keInitiator: p.keI, keResponder: p.keR,
                    saInitiatorBody: p.saI, identityBody: try #require(idBodies[fromInitiator]))
                #expect(
                    IKEv1MessageProtection.hashesMatch(computed, hashPayload.body[...]),
                    "\(name) frame \(message.frame) HASH_\(fromInitiator ? "I" : "R")")
                phase1Hashes += 1
            }
        }
        let preSharedKey = [1, 65001, 65002].contains(p.attributes[3] ?? 0)
        #expect(phase1Hashes == (preSharedKey ? 2 : 0), "\(name): phase-1 HASH payloads checked")
        #expect(hashesVerified >= 3)
        #expect(!quickModeOrder.isEmpty)

        // KEYMAT: each daemon logged the ESP keys of every Quick Mode, in order; "initiator"
        // keys protect traffic from the Quick Mode initiator, on the SPI the responder chose.
        var spisChecked: [UInt32: IKEv1SAKeys] = [:]
        for log in [logA, logB] {
            let encI = log["encryption initiator key"] ?? []
            let encR = log["encryption responder key"] ?? []
            let intI = log["integrity initiator key"] ?? []
            let intR = log["integrity responder key"] ?? []
            let dh = log["DH secret"] ?? []
            var pfs = 0
            #expect(encI.count == quickModeOrder.count, "\(name): one key set per Quick Mode")
            for (k, mid) in quickModeOrder.enumerated() where k < encI.count {
                let exchange = try #require(quickModes[mid])
                try #require(exchange.count >= 2)
                let ni = try IKEv1CryptoWire.need(10, in: exchange[0]).body
                let nr = try IKEv1CryptoWire.need(10, in: exchange[1]).body
                let chosenByI = try #require(
                    IKEv1CryptoWire.proposalSPI(try IKEv1CryptoWire.need(1, in: exchange[0]).body))
                let chosenByR = try #require(
                    IKEv1CryptoWire.proposalSPI(try IKEv1CryptoWire.need(1, in: exchange[1]).body))
                var secret: [UInt8]?
                if IKEv1CryptoWire.first(4, in: exchange[0]) != nil {
                    secret = try #require(pfs < dh.count ? dh[pfs] : nil, "\(name): g(qm)^xy of a PFS Quick Mode")
                    pfs += 1
                }
                let integrityLength = k < intI.count ? intI[k].count : 0
                let forward = try IKEv1KeyDerivation.quickModeKeys(
                    hash: p.hash, skeyidD: sa.skeyidD, protocolID: chosenByR.protocolID, spi: chosenByR.spi,
                    nonceInitiator: ni, nonceResponder: nr, sharedSecret: secret,
                    encryptionKeyLength: encI[k].count, integrityKeyLength: integrityLength)
                let backward = try IKEv1KeyDerivation.quickModeKeys(
                    hash: p.hash, skeyidD: sa.skeyidD, protocolID: chosenByI.protocolID, spi: chosenByI.spi,
                    nonceInitiator: ni, nonceResponder: nr, sharedSecret: secret,
                    encryptionKeyLength: encR[k].count, integrityKeyLength: integrityLength)
                #expect(
                    forward.encryption == encI[k] && backward.encryption == encR[k],
                    "\(name) QM \(mid) encryption keys")
                #expect(
                    forward.integrity == (k < intI.count ? intI[k] : [])
                        && backward.integrity == (k < intR.count ? intR[k] : []),
                    "\(name) QM \(mid) integrity keys")
                spisChecked[IKEv1CryptoWire.be32(chosenByR.spi, 0)] = forward
                spisChecked[IKEv1CryptoWire.be32(chosenByI.spi, 0)] = backward
            }
        }
        // The fixture's own key file, when its generator wrote one.
        let keyFile = dir + "/sa.spiglass"
        if Paths.exists(keyFile) {
            let keys = try KeyFileLoader.loadKeys(path: keyFile)
            var matched = 0
            for esp in keys.sas {
                guard let spi = esp.spi, let derived = spisChecked[spi.rawValue] else { continue }
                #expect(
                    esp.encryptionKey == derived.encryption && esp.integrityKey == derived.integrity,
                    "\(name) sa.spiglass SPI \(String(spi.rawValue, radix: 16))")
                matched += 1
            }
            #expect(matched >= 2, "\(name): the derived SAs are in sa.spiglass")
            // Its IKE SA alone (algorithms, hash from the PRF, encryption key) opens the
            // messages as the logged SKEYIDs do.
            let fileSA = try #require(
                keys.ikeSAs.first { $0.version == .v1 && $0.initiatorSPI == p.cookieI },
                "\(name): IKE SA in sa.spiglass")
            let fromFile = try IKEv1MessageProtection(sa: fileSA)
            #expect(fromFile.hash == p.hash && fromFile.encryption == p.encryption)
            let fresh = try IKEv1IVState(
                hash: p.hash, keInitiator: p.keI, keResponder: p.keR, blockSize: p.blockSize)
            let first = try #require(messages.first { $0.encrypted }).bytes
            let a = try fromFile.decrypt(message: first, messageRange: 0..<first.count, iv: fresh.ivForPhase1())
                .get()
            #expect(
                a
                    == (try protection.decrypt(
                        message: first, messageRange: 0..<first.count, iv: fresh.ivForPhase1()
                    ).get()))
        }
    }

    /// `wrong-psk`: the responder's pre-shared key differs. Main Mode 5 decrypts with the
    /// initiator's keys only, and its retransmission with the IV of its first copy. The
    /// responder, unable to decrypt it, sends encrypted Informationals under its own keys
    /// with IVs from its own chain, which never took Main Mode 5 in: hash(initial IV | M-ID).
    /// A copy of the IV state from before Main Mode 5 (it is a value) gives those.
    @Test(.enabled(if: Paths.exists(Paths.fixture("strongswan-ikev1/wrong-psk/charon-B.log"))))
    func wrongPreSharedKey() throws {
        let dir = Self.root + "/wrong-psk"
        let messages = try IKEv1CryptoWire.messages(capture: dir + "/capture.pcap")
        let logA = try IKEv1CryptoWire.charonDumps(dir + "/charon-A.log")
        let logB = try IKEv1CryptoWire.charonDumps(dir + "/charon-B.log")
        let p = try Self.phase1(messages)
        let saA = try Self.sa(p, logA)
        let saB = try Self.sa(p, logB)
        #expect(saA.skeyidE != saB.skeyidE)
        let byA = try IKEv1MessageProtection(sa: saA, encryption: p.encryption, hash: p.hash)
        let byB = try IKEv1MessageProtection(sa: saB, encryption: p.encryption, hash: p.hash)
        var state = try IKEv1IVState(hash: p.hash, keInitiator: p.keI, keResponder: p.keR, blockSize: p.blockSize)
        let beforeMM5 = state
        let encrypted = messages.filter(\.encrypted)
        let mm5 = try #require(encrypted.first { $0.messageID == 0 }).bytes
        let mm5Plaintext = try byA.decrypt(message: mm5, messageRange: 0..<mm5.count, iv: state.ivForPhase1()).get()
        #expect(
            byB.decrypt(message: mm5, messageRange: 0..<mm5.count, iv: state.ivForPhase1()).v1Code
                == .malformedPlaintext)
        try state.phase1MessageDecrypted(lastBlock: mm5Plaintext.lastCiphertextBlock)
        var informationals = 0
        var retransmissions = 0
        for message in encrypted.dropFirst() {
            let bytes = message.bytes
            if message.messageID == 0 {
                #expect(bytes == mm5)
                let last = try byA.lastCiphertextBlock(message: bytes, messageRange: 0..<bytes.count).get()
                let iv = try #require(state.retransmissionIV(messageID: 0, lastBlock: last))
                #expect(
                    try byA.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: iv).get() == mm5Plaintext)
                #expect(
                    byA.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: state.ivForPhase1()).v1Code
                        == .malformedPlaintext)
                retransmissions += 1
                continue
            }
            #expect(message.exchangeType == 5 && message.source != p.initiator)
            let observed = try state.ivForExchange(messageID: message.messageID)
            let responders = try beforeMM5.ivForExchange(messageID: message.messageID)
            #expect(
                byB.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: observed).v1Code
                    == .malformedPlaintext)
            let plaintext = try byB.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: responders).get()
            #expect(try byB.verifyHash(kind: .informational, plaintext: plaintext) == .ok)
            #expect(
                byA.decrypt(message: bytes, messageRange: 0..<bytes.count, iv: responders).v1Code
                    == .malformedPlaintext)
            informationals += 1
        }
        #expect(informationals >= 1 && retransmissions >= 1)
    }
}
