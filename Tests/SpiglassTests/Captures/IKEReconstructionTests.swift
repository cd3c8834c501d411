import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// Runs the pipeline with the ESP, AH and IKE SAs of a key set.
func analyze(
    _ capture: String, keySet: KeySet, options: AnalysisOptions = AnalysisOptions(),
    output: StringSink = StringSink()
) throws -> (frames: [FrameOutcome], summary: AnalysisSummary, analyzer: Analyzer) {
    try analyze(try CaptureStream(paths: [capture]), keySet: keySet, options: options, output: output)
}

/// The IKE story of the ten strongSwan ESP captures: IKE_SA_INIT, IKE_AUTH with one
/// CHILD_SA, ESP both ways, and a Delete. Keys from charon's level-4 log.
@Suite struct IKEStrongSwanStoryTests {
    @Test(arguments: StrongSwanFixtureTests.cases)
    func everyMessageDecryptsAndTheStoryIsComplete(name: String) throws {
        let keys = try Analyzer.loadKeySet([Paths.fixture("strongswan/\(name)/charon-A.log")])
        let result = try analyze(Paths.fixture("strongswan/\(name)/capture.pcap"), keySet: keys)
        let ike = result.analyzer.ike
        #expect(ike.messages.count == 6, "\(name)")
        for message in ike.messages {
            if message.header.exchangeType == .v2(.ikeSAInit) {
                #expect(message.decryption == .notEncrypted)
            } else {
                #expect(message.decryption == .decrypted, "\(name) frame \(message.frames)")
                #expect(message.integrity == .ok, "\(name) frame \(message.frames)")
            }
        }
        #expect(ike.ikeSAs.count == 1)
        let sa = try #require(ike.ikeSAs.first)
        #expect(sa.exchanges.map(\.name) == ["IKE_SA_INIT", "IKE_AUTH", "INFORMATIONAL"])
        #expect(sa.exchanges.allSatisfy { $0.succeeded && $0.roundTrip != nil })
        #expect(sa.exchanges.last?.purpose == .informational([.deleteIKESA]))
        #expect(sa.state == .deleted)
        #expect(sa.keysKnown)
        #expect(sa.initiatorAuthentication == .v2(2))
        #expect(sa.initiatorAuthentication.map { IKESAWords.authentication($0) } == "Shared Key Message Integrity Code")
        // kernel-libipsec makes charon fake NAT detection to force UDP encapsulation.
        #expect(sa.initiatorBehindNAT == true)
        #expect(ike.children.count == 1)
        let child = try #require(ike.children.first)
        #expect(child.established && !child.perfectForwardSecrecy && child.deleted)
        #expect(child.createdByName == "IKE_AUTH")
        let flowSPIs = Set(result.analyzer.flows.map(\.key.spi))
        #expect(Set(child.spis) == flowSPIs, "\(name): CHILD_SA SPIs \(child.spis) vs ESP \(flowSPIs)")
        #expect(result.analyzer.flows.allSatisfy { $0.childSA == 0 })
    }

    /// Only SK_d (and the other IKE keys) from the log: the ESP keys must come out of
    /// prf+(SK_d, Ni | Nr) equal to what charon logged, and every ESP packet must decrypt.
    @Test(arguments: StrongSwanFixtureTests.cases)
    func espDecryptsWithKeysDerivedFromSKd(name: String) throws {
        var keys = try Analyzer.loadKeySet([Paths.fixture("strongswan/\(name)/charon-A.log")])
        let logged = keys.sas
        #expect(logged.count == 2)
        keys.sas = []
        let result = try analyze(Paths.fixture("strongswan/\(name)/capture.pcap"), keySet: keys)
        #expect(result.summary.count(.decrypted) == 26, "\(name)")
        let derived = result.analyzer.ike.derivedSAs
        #expect(derived.count == 2)
        for sa in derived {
            let reference = try #require(
                logged.first { $0.spi == sa.spi }, "\(name): derived SPI \(String(describing: sa.spi)) not logged")
            #expect(sa.encryption == reference.encryption, "\(name)")
            #expect(sa.encryptionKey == reference.encryptionKey, "\(name) SPI \(String(describing: sa.spi))")
            #expect(sa.integrity == reference.integrity, "\(name)")
            #expect(sa.integrityKey == reference.integrityKey, "\(name)")
        }
        #expect(result.analyzer.ike.children.first?.keysDerived == true)
    }

    /// Without SK_d (Wireshark's IKEv2 table has none) IKE still decrypts but nothing is derived.
    @Test func wiresharkTableDecryptsButDerivesNothing() throws {
        let name = "aes128cbc-sha256-v4"
        let keys = try Analyzer.loadKeySet([Paths.fixture("strongswan/\(name)/ikev2_decryption_table")])
        let result = try analyze(Paths.fixture("strongswan/\(name)/capture.pcap"), keySet: keys)
        let ike = result.analyzer.ike
        #expect(ike.messages.filter { $0.decryption == .decrypted }.count == 4)
        #expect(ike.derivedSAs.isEmpty)
        #expect(result.summary.count(.decrypted) == 0)
        let child = try #require(ike.children.first)
        let keying = try #require(child.keying)
        #expect(IKESAWords.keying(keying, child: child, version: .v2).contains("SK_d"))
    }

    /// No keys at all: the exchanges still pair up, and the report says the rest is encrypted.
    @Test func withoutKeysTheExchangesStillPair() throws {
        let result = try analyze(Paths.fixture("strongswan/aes256gcm16-v4/capture.pcap"), keySet: KeySet())
        let ike = result.analyzer.ike
        #expect(ike.ikeSAs.count == 1)
        #expect(ike.ikeSAs[0].exchanges.count == 3)
        #expect(ike.messages.filter { $0.decryption == .noKeys }.count == 4)
        #expect(ike.ikeSAs[0].state == .established)  // implied by the INFORMATIONAL after IKE_AUTH
        #expect(ike.children.isEmpty)
    }

    /// A wrong SK_ai: integrity fails and nothing is released.
    @Test func wrongIntegrityKeyFailsEveryEncryptedMessage() throws {
        var keys = try Analyzer.loadKeySet([Paths.fixture("strongswan/aes128cbc-sha256-v4/charon-A.log")])
        keys.sas = []
        keys.ikeSAs[0].skAi = SecretBytes([keys.ikeSAs[0].skAi[0] ^ 1] + keys.ikeSAs[0].skAi.dropFirst())
        keys.ikeSAs[0].skAr = SecretBytes([keys.ikeSAs[0].skAr[0] ^ 1] + keys.ikeSAs[0].skAr.dropFirst())
        let result = try analyze(Paths.fixture("strongswan/aes128cbc-sha256-v4/capture.pcap"), keySet: keys)
        let encrypted = result.analyzer.ike.messages.filter { $0.header.exchangeType != .v2(.ikeSAInit) }
        #expect(encrypted.count == 4)
        for message in encrypted {
            #expect(message.integrity == .failed)
            #expect(message.decryptedFrom == nil)
        }
        #expect(result.summary.count(.decrypted) == 0)
    }
}

/// A key reload mid-capture (SIGHUP on a live capture) brings IKE keys too.
@Suite struct IKEKeyReloadTests {
    @Test func ikeKeysArriveMidCapture() throws {
        let directory = Paths.fixture("strongswan-ike/rekey-cbc-sha256")
        var keys = try Analyzer.loadKeySet([directory + "/sa.spiglass"])
        keys.sas = []
        let analyzer = try Analyzer(sad: SADatabase(), options: AnalysisOptions(), output: StringSink())
        let reader = try CaptureReader(path: directory + "/capture.pcap")
        analyzer.setLinkType(dlt: reader.linkType, name: reader.linkTypeName)
        var frame = 0
        while case .packet(let header) = reader.next() {
            frame += 1
            // Frame 13 opens the CHILD_SA rekey: everything before it was seen without keys.
            if frame == 13 { analyzer.reload(keys) }
            analyzer.process(reader.buffer, header: header)
        }
        analyzer.finish()
        let messages = analyzer.ike.messages
        #expect(messages.filter { $0.frames[0] < 13 && $0.decryption == .noKeys }.count == 2)
        #expect(messages.filter { $0.frames[0] >= 13 }.allSatisfy { $0.decryption == .decrypted })
        // The rekeyed CHILD_SA's keys were derived after the reload, so its ESP decrypts.
        // (Its REKEY_SA names a CHILD_SA no decrypted exchange created, so it stands alone.)
        let rekeyed = try #require(analyzer.ike.children.first { $0.createdByName == "CREATE_CHILD_SA" })
        #expect(rekeyed.rekeyOf == nil)
        #expect(rekeyed.keysDerived)
        let decrypted = analyzer.flows.filter { rekeyed.spis.contains($0.key.spi) }.map { $0.count(.decrypted) }
        #expect(decrypted == [8, 8])
    }
}

/// Hostile captures: floods of IKE SAs, exchanges and fragments stay within the limits.
@Suite struct IKEReconstructionBoundsTests {
    /// A minimal IKEv2 message: header only, or with one SKF payload of `body` bytes.
    static func message(
        spi: UInt64, messageID: UInt32, exchange: UInt8 = 34, response: Bool = false,
        fragment: (number: UInt16, total: UInt16)? = nil
    ) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 28)
        for i in 0..<8 { bytes[i] = UInt8((spi >> UInt64(56 - 8 * i)) & 0xff) }
        if fragment != nil { for i in 8..<16 { bytes[i] = 0x11 } }
        bytes[16] = fragment == nil ? 0 : 53
        bytes[17] = 0x20
        bytes[18] = exchange
        bytes[19] = response ? 0x20 : 0x08
        bytes.setBE32(20, messageID)
        if let fragment {
            // SKF: generic header, fragment number, total, then 16 bytes of "ciphertext".
            bytes +=
                [
                    35, 0, 0, 24, UInt8(fragment.number >> 8), UInt8(fragment.number & 0xff),
                    UInt8(fragment.total >> 8), UInt8(fragment.total & 0xff),
                ] + [UInt8](repeating: 0xab, count: 16)
        }
        bytes.setBE32(24, UInt32(bytes.count))
        return bytes
    }

    static func datagram(_ bytes: [UInt8], frame: Int) -> IKEDatagram {
        IKEDatagram(
            frame: frame, time: Timestamp(seconds: 0, microseconds: Int32(frame)), source: .v4(0x0a00_0001),
            destination: .v4(0x0a00_0002), sourcePort: 500,
            destinationPort: 500, transport: .udp, bytes: bytes, range: 0..<bytes.count)
    }

    @Test func ikeSAFloodStopsAtTheLimit() {
        var limits = IKEReconstruction.Limits()
        limits.maxIKESAs = 100
        let ike = IKEReconstruction(keys: [], limits: limits)
        var diagnostics: [IKEDiagnostic] = []
        ike.onDiagnostic = { diagnostics.append($0) }
        for i in 0..<5000 { ike.process(Self.datagram(Self.message(spi: UInt64(i + 1), messageID: 0), frame: i + 1)) }
        #expect(ike.ikeSAs.count == 100)
        #expect(diagnostics.filter { $0 == .tooManyIKESAs(limit: 100) }.count == 1)
    }

    @Test func exchangeFloodStopsAtTheLimit() {
        var limits = IKEReconstruction.Limits()
        limits.maxExchangesPerIKESA = 50
        limits.maxMessagesKept = 70
        let ike = IKEReconstruction(keys: [], limits: limits)
        for i in 0..<1000 {
            ike.process(Self.datagram(Self.message(spi: 7, messageID: UInt32(i), exchange: 37), frame: i + 1))
        }
        #expect(ike.ikeSAs.count == 1)
        #expect(ike.ikeSAs[0].exchanges.count == 50)
        #expect(ike.messages.count == 70)
        #expect(ike.droppedMessages == 930)
    }

    /// Fragments of thousands of messages that never complete: the assembler keeps a bounded
    /// number, and a complete set still reassembles afterwards.
    @Test func fragmentFloodIsBounded() {
        let ike = IKEReconstruction(keys: [])
        var frame = 0
        for id in 0..<5000 {
            frame += 1
            ike.process(
                Self.datagram(Self.message(spi: 9, messageID: UInt32(id), exchange: 35, fragment: (1, 3)), frame: frame)
            )
        }
        #expect(ike.fragmentsPending <= 128)
        var record: IKEMessageRecord?
        for number in UInt16(1)...3 {
            frame += 1
            record = ike.process(
                Self.datagram(
                    Self.message(spi: 9, messageID: 99_999, exchange: 35, fragment: (number, 3)), frame: frame))
        }
        #expect(record?.frames.count == 3)
        #expect(record?.decryption == .noKeys)
        // Absurd totals are refused outright.
        frame += 1
        #expect(
            ike.process(
                Self.datagram(Self.message(spi: 9, messageID: 5, exchange: 35, fragment: (1, 60000)), frame: frame))
                == nil)
    }
}

/// Exchanges no strongSwan fixture has, built and sealed here: EAP over several IKE_AUTH
/// round trips, with the CHILD_SA proposed in the first request and settled in the last
/// response.
@Suite struct IKEBuiltExchangeTests {
    @Test func eapAuthenticationSettlesTheChildInTheLastResponse() throws {
        var sa = IKESecurityAssociation(
            version: .v2, initiatorSPI: 0x1111, responderSPI: 0x2222, origin: SAOrigin(file: "test", line: 1))
        sa.encryption = .aesCBC(keyBits: 128)
        sa.integrity = .hmacSHA256_128
        sa.prf = .hmacSHA256
        sa.skD = SecretBytes([UInt8](repeating: 1, count: 32))
        sa.skEi = SecretBytes([UInt8](repeating: 2, count: 16))
        sa.skEr = SecretBytes([UInt8](repeating: 3, count: 16))
        sa.skAi = SecretBytes([UInt8](repeating: 4, count: 32))
        sa.skAr = SecretBytes([UInt8](repeating: 5, count: 32))
        let protection = try IKEv2MessageProtection(sa: sa)
        let payload = IKEv2MessageBuilder.payload
        func header(_ exchange: UInt8, _ id: UInt32, response: Bool, rspi: UInt64 = 0x2222) -> [UInt8] {
            IKEv2MessageBuilder.header(
                initiatorSPI: 0x1111, responderSPI: rspi, exchange: exchange, messageID: id,
                response: response, fromInitiator: !response)
        }
        let eap = { (code: UInt8) in payload(0, [code, 1, 0, 5, 1]) }  // EAP Request/Response Identity
        let childPayloads = { (next: UInt8, spi: UInt32) in
            payload(44, IKEv2MessageBuilder.espProposal(spi: spi))
                + payload(45, IKEv2MessageBuilder.trafficSelector(10))
                + payload(next, IKEv2MessageBuilder.trafficSelector(192))
        }
        let messages: [(bytes: [UInt8], fromInitiator: Bool)] = [
            (
                IKEv2MessageBuilder.clear(
                    header(34, 0, response: false, rspi: 0), firstPayload: 40,
                    payloads: payload(0, [UInt8](repeating: 7, count: 32))), true
            ),
            (
                IKEv2MessageBuilder.clear(
                    header(34, 0, response: true), firstPayload: 40,
                    payloads: payload(0, [UInt8](repeating: 8, count: 32))), false
            ),
            // IKE_AUTH 1: IDi, SA, TSi, TSr (no AUTH: EAP) / IDr, AUTH, EAP request.
            (
                try protection.seal(
                    header: header(35, 1, response: false), firstPayloadType: 35,
                    payloads: payload(33, [2, 0, 0, 0] + Array("peer".utf8)) + childPayloads(0, 0xaaaa_0001),
                    sentByInitiator: true), true
            ),
            (
                try protection.seal(
                    header: header(35, 1, response: true), firstPayloadType: 36,
                    payloads: payload(39, [2, 0, 0, 0] + Array("gw".utf8))
                        + payload(48, [2, 0, 0, 0] + [UInt8](repeating: 9, count: 32)) + eap(1),
                    sentByInitiator: false), false
            ),
            // IKE_AUTH 2: EAP response / EAP success.
            (
                try protection.seal(
                    header: header(35, 2, response: false), firstPayloadType: 48, payloads: eap(2),
                    sentByInitiator: true), true
            ),
            (
                try protection.seal(
                    header: header(35, 2, response: true), firstPayloadType: 48, payloads: payload(0, [3, 1, 0, 4]),
                    sentByInitiator: false), false
            ),
            // IKE_AUTH 3: AUTH / AUTH, SA, TSi, TSr.
            (
                try protection.seal(
                    header: header(35, 3, response: false), firstPayloadType: 39,
                    payloads: payload(0, [2, 0, 0, 0] + [UInt8](repeating: 10, count: 32)), sentByInitiator: true), true
            ),
            (
                try protection.seal(
                    header: header(35, 3, response: true), firstPayloadType: 39,
                    payloads: payload(33, [2, 0, 0, 0] + [UInt8](repeating: 11, count: 32))
                        + childPayloads(0, 0xbbbb_0001), sentByInitiator: false), false
            ),
        ]
        let ike = IKEReconstruction(keys: [sa])
        for (index, message) in messages.enumerated() {
            let record = ike.process(
                IKEDatagram(
                    frame: index + 1, time: Timestamp(seconds: 0, microseconds: Int32(index)),
                    source: .v4(message.fromInitiator ? 1 : 2),
                    destination: .v4(message.fromInitiator ? 2 : 1), sourcePort: 500, destinationPort: 500,
                    transport: .udp, bytes: message.bytes, range: 0..<message.bytes.count))
            if index >= 2 {
                #expect(record?.decryption == .decrypted && record?.integrity == .ok, "message \(index + 1)")
            }
        }
        ike.finish()
        #expect(ike.ikeSAs.count == 1)
        #expect(ike.ikeSAs[0].state == .established)
        #expect(ike.ikeSAs[0].exchanges.map(\.name) == ["IKE_SA_INIT", "IKE_AUTH", "IKE_AUTH", "IKE_AUTH"])
        #expect(ike.children.count == 1)
        let child = try #require(ike.children.first)
        #expect(child.established)
        #expect(child.spis == [0xaaaa_0001, 0xbbbb_0001])
        #expect(child.keysDerived, "\(String(describing: child.keying))")
        #expect(ike.derivedSAs.count == 2)
    }
}

/// ISAKMP fragment floods: sets and bytes held stay bounded, and a complete set still
/// reassembles afterwards.
@Suite struct IKEv1FragmentBoundsTests {
    static func fragment(cookie: UInt64, id: UInt16, number: UInt8, last: Bool, data: [UInt8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 28)
        for i in 0..<8 { bytes[i] = UInt8((cookie >> UInt64(56 - 8 * i)) & 0xff) }
        bytes[16] = 132
        bytes[17] = 0x10
        bytes[18] = 2
        let length = 8 + data.count
        bytes +=
            [0, 0, UInt8(length >> 8), UInt8(length & 0xff), UInt8(id >> 8), UInt8(id & 0xff), number, last ? 1 : 0]
            + data
        bytes.setBE32(24, UInt32(bytes.count))
        return bytes
    }

    @Test func floodIsBoundedAndWholeSetsStillReassemble() {
        let ike = IKEReconstruction(keys: [])
        var diagnostics: [IKEDiagnostic] = []
        ike.onDiagnostic = { diagnostics.append($0) }
        let big = [UInt8](repeating: 0xcc, count: 60_000)
        var frame = 0
        func send(_ bytes: [UInt8]) -> IKEMessageRecord? {
            frame += 1
            return ike.process(
                IKEDatagram(
                    frame: frame, time: Timestamp(seconds: 0, microseconds: Int32(frame)), source: .v4(1),
                    destination: .v4(2), sourcePort: 500,
                    destinationPort: 500, transport: .udp, bytes: bytes, range: 0..<bytes.count))
        }
        for id in 0..<2000 { _ = send(Self.fragment(cookie: 5, id: UInt16(id), number: 1, last: false, data: big)) }
        #expect(ike.v1FragmentBytesHeld <= 4 << 20)
        #expect(diagnostics.contains { if case .v1FragmentBytesDropped = $0 { true } else { false } })
        // A real ISAKMP message (header only, Informational) split in two fragments.
        var inner = [UInt8](repeating: 0, count: 28)
        inner[7] = 9
        inner[17] = 0x10
        inner[18] = 5
        inner.setBE32(24, 28)
        _ = send(Self.fragment(cookie: 9, id: 1, number: 1, last: false, data: Array(inner[0..<14])))
        let record = send(Self.fragment(cookie: 9, id: 1, number: 2, last: true, data: Array(inner[14...])))
        #expect(record?.frames.count == 2)
        #expect(record?.header.exchangeType == .v1(.informational))
    }
}
