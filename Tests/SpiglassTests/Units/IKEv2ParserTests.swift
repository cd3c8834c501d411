import Foundation
import SpiglassCapture
import SpiglassIKE
import SpiglassWire
import Testing

@testable import SpiglassAnalysis

/// IKEv2 message and payload parsing: the real strongSwan IKE_SA_INIT messages against
/// constants taken from tshark 4.0.17 (and against tshark itself when installed), every IKE
/// message of the shared corpus (no trap; unencrypted payload lists, notify types, transforms,
/// KE groups and vendor IDs compared with tshark), crafted messages for every body and every
/// limit, truncation at every offset and seeded random mutations.
@Suite struct IKEv2ParserTests {
    // MARK: - strongSwan IKE_SA_INIT (frames 1 and 2 of every fixture)

    struct StrongSwanCase: CustomTestStringConvertible, Sendable {
        var name: String
        /// The single IKE proposal's transforms in wire order (ENCR, INTEG, PRF, KE).
        var transforms: [String]
        var keGroup: UInt16
        var testDescription: String { name }
    }

    /// From `tshark -r capture.pcap -Y frame.number<=2 -T fields -e isakmp.tf.id.* -e
    /// isakmp.ike2.attr.key_length -e isakmp.key_exchange.dh_group` (tshark 4.0.17). The
    /// directory names give the ESP algorithms; the IKE SA uses these.
    static let strongSwanCases: [StrongSwanCase] = [
        StrongSwanCase(
            name: "3des-md5-v4",
            transforms: ["ENCR_AES_CBC_128", "AUTH_HMAC_SHA2_256_128", "PRF_HMAC_SHA2_256", "MODP_2048"], keGroup: 14),
        StrongSwanCase(
            name: "3des-sha1-v4", transforms: ["ENCR_AES_CBC_128", "AUTH_HMAC_SHA1_96", "PRF_HMAC_SHA1", "MODP_2048"],
            keGroup: 14),
        StrongSwanCase(
            name: "aes128cbc-sha256-v4",
            transforms: ["ENCR_AES_CBC_256", "AUTH_HMAC_SHA2_256_128", "PRF_HMAC_SHA2_256", "MODP_2048"], keGroup: 14),
        StrongSwanCase(
            name: "aes128ctr-sha1-v4",
            transforms: ["ENCR_AES_CTR_128", "AUTH_HMAC_SHA2_256_128", "PRF_HMAC_SHA2_256", "MODP_2048"], keGroup: 14),
        StrongSwanCase(
            name: "aes128gcm16-v6", transforms: ["ENCR_AES_GCM_16_256", "PRF_HMAC_SHA2_384", "ECP_256"], keGroup: 19),
        StrongSwanCase(
            name: "aes192cbc-sha384-v4",
            transforms: ["ENCR_AES_CBC_192", "AUTH_HMAC_SHA2_384_192", "PRF_HMAC_SHA2_384", "MODP_3072"], keGroup: 15),
        StrongSwanCase(
            name: "aes256cbc-sha256-inner6-v4",
            transforms: ["ENCR_AES_CBC_256", "AUTH_HMAC_SHA2_256_128", "PRF_HMAC_SHA2_256", "ECP_256"], keGroup: 19),
        StrongSwanCase(
            name: "aes256cbc-sha512-v6",
            transforms: ["ENCR_AES_CBC_256", "AUTH_HMAC_SHA2_512_256", "PRF_HMAC_SHA2_512", "ECP_384"], keGroup: 20),
        StrongSwanCase(
            name: "aes256gcm16-v4", transforms: ["ENCR_AES_GCM_16_128", "PRF_HMAC_SHA2_256", "ECP_256"], keGroup: 19),
        StrongSwanCase(
            name: "chacha20poly1305-v4",
            transforms: ["ENCR_AES_CBC_256", "AUTH_HMAC_SHA2_384_192", "PRF_HMAC_SHA2_384", "CURVE25519"], keGroup: 31),
    ]

    static func strongSwanCapture(_ name: String) -> String { Paths.fixture("strongswan/\(name)/capture.pcap") }

    @Test func allStrongSwanFixturesAreListed() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Paths.fixture("strongswan"))
            .filter { Paths.exists(Self.strongSwanCapture($0)) }
        #expect(Set(names) == Set(Self.strongSwanCases.map(\.name)))
    }

    @Test(arguments: strongSwanCases)
    func strongSwanInitExchange(_ c: StrongSwanCase) throws {
        let messages = try IKECaptureMessages.read(Self.strongSwanCapture(c.name))
        // README: IKE_SA_INIT (1, 2), IKE_AUTH (3, 4), INFORMATIONAL (31, 32).
        #expect(messages.map(\.frame) == [1, 2, 3, 4, 31, 32])
        for sample in messages.prefix(2) {
            let where_ = "\(c.name) frame \(sample.frame)"
            let message = try IKEv2Parser.parseMessage(sample.bytes, range: sample.range).get()
            #expect(message.problems.isEmpty, "\(where_): \(message.problems)")
            #expect(message.header.exchangeType == .v2(.ikeSAInit))
            #expect(message.header.range == sample.range, "\(where_): the message fills the UDP payload")
            let request = sample.frame == 1
            let notifies: [UInt16] =
                request ? [16388, 16389, 16430, 16431, 16406] : [16388, 16389, 16430, 16431, 16418, 16404]
            #expect(
                message.payloads.map(\.type) == [33, 34, 40] + Array(repeating: 41, count: notifies.count), "\(where_)")
            #expect(
                message.payloads.map(\.name) == ["SA", "KE", "Nonce"] + Array(repeating: "N", count: notifies.count))
            #expect(message.testNotifies.map(\.type) == notifies, "\(where_)")
            guard case .securityAssociation(let proposals) = message.payloads[0].body else {
                Issue.record("\(where_): first payload is not an SA")
                continue
            }
            #expect(proposals.count == 1)
            #expect(proposals.first?.protocolID == 1)
            #expect(proposals.first?.spi == [])
            #expect(proposals.first?.transforms.map(\.name) == c.transforms, "\(where_)")
            guard case .keyExchange(let group, let data) = message.payloads[1].body else {
                Issue.record("\(where_): second payload is not KE")
                continue
            }
            #expect(group == c.keGroup, "\(where_)")
            #expect(!data.isEmpty)
            #expect(message.payloads.allSatisfy { $0.critical == false })
            // Payloads tile the message exactly.
            var cursor = message.header.range.lowerBound + 28
            for payload in message.payloads {
                #expect(payload.range.lowerBound == cursor)
                cursor = payload.range.upperBound
            }
            #expect(cursor == message.header.range.upperBound)
        }
        // IKE_AUTH and INFORMATIONAL on 4500: a single SK payload.
        for sample in messages.dropFirst(2) {
            let message = try IKEv2Parser.parseMessage(sample.bytes, range: sample.range).get()
            #expect(message.problems.isEmpty)
            #expect(message.payloads.map(\.name) == ["SK"])
            guard case .encrypted(let sk) = message.payloads.last?.body else {
                Issue.record("\(c.name) frame \(sample.frame): no SK")
                continue
            }
            // tshark with the fixture's ikev2_decryption_table: IDi, IDr, D, nothing.
            let firstInner: [Int: UInt8] = [3: 35, 4: 36, 31: 42, 32: 0]
            #expect(
                sk.firstInnerPayload == firstInner[sample.frame],
                "\(c.name) frame \(sample.frame): first inner payload \(sk.firstInnerPayload)")
            #expect(sk.contentRange.upperBound == sample.range.upperBound)
        }
    }

    @Test func strongSwanSummaries() throws {
        let messages = try IKECaptureMessages.read(Self.strongSwanCapture("aes128cbc-sha256-v4"))
        let request = try IKEv2Parser.parseMessage(messages[0].bytes, range: messages[0].range).get()
        #expect(
            request.payloads.map(\.summary) == [
                "SA: #1 IKE ENCR_AES_CBC_256 PRF_HMAC_SHA2_256 AUTH_HMAC_SHA2_256_128 MODP_2048",
                "KE: MODP_2048 (256 bytes)",
                "Nonce: 32 bytes",
                "N(NAT_DETECTION_SOURCE_IP)",
                "N(NAT_DETECTION_DESTINATION_IP)",
                "N(IKEV2_FRAGMENTATION_SUPPORTED)",
                "N(SIGNATURE_HASH_ALGORITHMS) SHA2_256,SHA2_384,SHA2_512,IDENTITY",
                "N(REDIRECT_SUPPORTED)",
            ])
        let json = request.payloads[0].jsonObject()
        #expect(
            json
                == #"{"type":33,"name":"SA","critical":false,"proposals":[{"number":1,"protocol":"IKE","protocol_id":1,"spi":null,"transforms":[{"type":1,"type_name":"ENCR","id":12,"name":"ENCR_AES_CBC_256","key_length":256},{"type":3,"type_name":"INTEG","id":12,"name":"AUTH_HMAC_SHA2_256_128","key_length":null},{"type":2,"type_name":"PRF","id":5,"name":"PRF_HMAC_SHA2_256","key_length":null},{"type":4,"type_name":"KE","id":14,"name":"MODP_2048","key_length":null}]}]}"#
        )
        #expect(
            request.payloads[1].jsonObject()
                == #"{"type":34,"name":"KE","critical":false,"group":14,"group_name":"MODP_2048","length":256}"#)
        #expect(
            request.payloads[3].jsonObject().hasPrefix(
                #"{"type":41,"name":"N","critical":false,"notify_type":16388,"notify":"NAT_DETECTION_SOURCE_IP","error":false,"protocol":"NONE","spi":null,"data":""#
            ))
    }

    /// Field by field against tshark on the live captures, when tshark is installed.
    /// Field by field against tshark on the live captures, when tshark is installed: the
    /// IKE_SA_INIT messages, and the content of the SK payloads tshark decrypts with the
    /// fixture's ikev2_decryption_table (IKE_AUTH: IDi/IDr, AUTH, SA, TSi, TSr, N; INFORMATIONAL: D;
    /// the empty INFORMATIONAL response has nothing to compare).
    @Test(.enabled(if: Tshark.path != nil, "tshark is not installed"), arguments: strongSwanCases)
    func strongSwanAgainstTshark(_ c: StrongSwanCase) throws {
        let table = Paths.fixture("strongswan/\(c.name)/ikev2_decryption_table")
        let compared = try IKETsharkComparison.compare(
            capture: Self.strongSwanCapture(c.name), label: c.name, decryptionTable: table)
        #expect(compared.unencrypted == 2, "\(c.name): IKE_SA_INIT request and response compared")
        #expect(compared.total == 6)
        // The INFORMATIONAL response is empty: tshark shows no contained data for it.
        #expect(compared.decrypted == 3, "\(c.name): IKE_AUTH and INFORMATIONAL content compared")
        #expect(compared.integrityFailed == 0)
        #expect(compared.damaged == 0)
    }

    // MARK: - Shared corpus

    static let corpusCaptures: [String] = {
        let root = Paths.corpus("")
        guard Paths.corpusPresent, let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            let lower = path.lowercased()
            if lower.hasSuffix(".pcap") || lower.hasSuffix(".pcapng") || lower.hasSuffix(".cap") { files.append(path) }
        }
        return files.sorted()
    }()

    /// Every IKE message of every corpus capture parses or fails cleanly; summaries and JSON
    /// of every payload are built.
    @Test(.enabled(if: Paths.corpusPresent, "the shared corpus (../shared/corpus) is not present"))
    func everyCorpusIKEMessageParses() throws {
        var ikev2 = 0
        var ikev1 = 0
        var payloads = 0
        var typesSeen = Set<UInt8>()
        for relative in Self.corpusCaptures {
            let messages = (try? IKECaptureMessages.read(Paths.corpus(relative))) ?? []
            for sample in messages {
                switch IKEv2Parser.parseMessage(sample.bytes, range: sample.range) {
                case .success(let message):
                    ikev2 += 1
                    Self.checkInvariants(
                        message, bytes: sample.bytes, range: sample.range, where_: "\(relative) frame \(sample.frame)")
                    payloads += message.payloads.count
                    typesSeen.formUnion(message.payloads.map(\.type))
                case .failure(let problem):
                    if problem.code == .notIKEv2 { ikev1 += 1 }
                    #expect(problem.offset >= sample.range.lowerBound && problem.offset <= sample.range.upperBound)
                }
            }
        }
        // tshark 4.0.17 counts 1 019 IKEv2 and 150 IKEv1 frames in the corpus (README §2): every
        // one is an IKE message here too, and every IKEv2 one has a header we accept.
        #expect(ikev2 == 1019, "IKEv2 messages parsed: \(ikev2)")
        #expect(ikev1 == 150, "IKEv1 messages refused as not IKEv2: \(ikev1)")
        #expect(payloads > 2000)
        // Outside SK: SA, KE, IDi, CERT, CERTREQ, Nonce, N, V, SK, SKF.
        #expect(
            typesSeen.isSuperset(of: [33, 34, 35, 37, 38, 40, 41, 43, 46, 53]), "types seen: \(typesSeen.sorted())")
    }

    static let corpusIKEv2Captures: [String] = corpusCaptures.filter { relative in
        let messages = (try? IKECaptureMessages.read(Paths.corpus(relative))) ?? []
        return messages.contains { $0.range.count >= 28 && $0.bytes[$0.range.lowerBound + 17] >> 4 == 2 }
    }

    @Test(.enabled(if: Paths.corpusPresent, "the shared corpus (../shared/corpus) is not present"))
    func corpusHasIKEv2Captures() {
        // README §2: 76 files with IKEv2.
        #expect(Self.corpusIKEv2Captures.count >= 70, "\(Self.corpusIKEv2Captures.count)")
    }

    /// Unencrypted payload lists, notify types, transforms, key lengths, KE groups and vendor
    /// IDs as tshark dissects them.
    @Test(
        .enabled(if: Tshark.path != nil && Paths.corpusPresent, "tshark or the corpus is missing"),
        arguments: corpusIKEv2Captures)
    func corpusAgainstTshark(_ relative: String) throws {
        let compared = try IKETsharkComparison.compare(capture: Paths.corpus(relative), label: relative)
        #expect(compared.total > 0, "\(relative): no IKEv2 message compared")
    }

    struct DecryptionCase: CustomTestStringConvertible, Sendable {
        var capture: String
        var table: String
        var testDescription: String { capture }
    }

    /// Corpus captures with IKEv2 keys: the openswan files with the key pair the README's
    /// §3.6 table names for each, and the other captures' derived or upstream tables.
    static let corpusDecryptionCases: [DecryptionCase] = {
        guard Paths.corpusPresent, let readme = try? String(contentsOfFile: Paths.corpus("README.md"), encoding: .utf8)
        else { return [] }
        var cases = [
            DecryptionCase(
                capture: "wireshark-wiki/ipsec_ikev2+esp_aes-gcm,aes-ctr,aes-cbc/capture.pcapng",
                table: "wireshark-wiki/ipsec_ikev2+esp_aes-gcm,aes-ctr,aes-cbc/ikev2_decryption_table"),
            DecryptionCase(
                capture: "packetgen-plugin-ipsec/spec/ikev2.pcapng",
                table: "packetgen-plugin-ipsec/derived/ikev2.ikev2_decryption_table"),
            DecryptionCase(
                capture: "packetgen-plugin-ipsec/spec/ikev2_cbc_hmac.pcapng",
                table: "packetgen-plugin-ipsec/derived/ikev2_cbc_hmac.ikev2_decryption_table"),
            DecryptionCase(capture: "tcpdump/ikev2pI2.pcap", table: "tcpdump/derived/ikev2_decryption_table.ikev2pI2"),
        ]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `tests/unit/") {
            let columns = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let file = columns.first?.split(separator: "`").first,
                let keypair = columns.first(where: { $0.hasPrefix("keypair") && $0.count <= 9 })
            else { continue }
            cases.append(
                DecryptionCase(capture: "openswan/\(file)", table: "openswan/derived/\(keypair).ikev2_decryption_table")
            )
        }
        return cases
    }()

    @Test(.enabled(if: Paths.corpusPresent, "the shared corpus (../shared/corpus) is not present"))
    func corpusDecryptionCasesAreFound() {
        // README: 32 openswan files decrypt, plus the wiki, PacketGen and tcpdump captures.
        #expect(Self.corpusDecryptionCases.count == 36, "\(Self.corpusDecryptionCases.map(\.capture))")
        #expect(
            Self.corpusDecryptionCases.allSatisfy {
                Paths.exists(Paths.corpus($0.capture)) && Paths.exists(Paths.corpus($0.table))
            })
    }

    /// What tshark decrypts from SK, parsed as a payload chain, against tshark's own lists.
    @Test(
        .enabled(if: Tshark.path != nil && Paths.corpusPresent, "tshark or the corpus is missing"),
        arguments: corpusDecryptionCases)
    func corpusDecryptedAgainstTshark(_ c: DecryptionCase) throws {
        let compared = try IKETsharkComparison.compare(
            capture: Paths.corpus(c.capture), label: c.capture, decryptionTable: Paths.corpus(c.table))
        #expect(compared.decrypted > 0, "\(c.capture): no decrypted SK compared")
    }

    // MARK: - Invariants

    /// What holds for any parsed message: payloads in order inside the message, limits kept,
    /// every problem inside the buffer, summaries and JSON built.
    static func checkInvariants(_ message: IKEv2Message, bytes: [UInt8], range: Range<Int>, where_: String) {
        let messageRange = message.header.range
        #expect(
            messageRange.lowerBound == range.lowerBound && messageRange.upperBound <= range.upperBound,
            "\(where_): header range")
        #expect(message.payloads.count <= IKEv2Limits.maxPayloadsPerMessage)
        var cursor = messageRange.lowerBound + 28
        for (index, payload) in message.payloads.enumerated() {
            #expect(payload.range.lowerBound == cursor, "\(where_): payload \(index) not where the previous ended")
            #expect(
                payload.range.count >= 4 && payload.range.upperBound <= messageRange.upperBound,
                "\(where_): payload \(index) range")
            cursor = payload.range.upperBound
            switch payload.body {
            case .encrypted(let sk):
                #expect(index == message.payloads.count - 1, "\(where_): SK not last")
                #expect(sk.contentRange == payload.bodyRange)
            case .encryptedFragment(let skf):
                #expect(index == message.payloads.count - 1, "\(where_): SKF not last")
                #expect(skf.fragmentNumber >= 1 && skf.fragmentNumber <= skf.totalFragments)
            case .securityAssociation(let proposals):
                #expect(proposals.count <= IKEv2Limits.maxProposalsPerSA)
                #expect(proposals.allSatisfy { $0.transforms.count <= IKEv2Limits.maxTransformsPerProposal })
            case .trafficSelectors(let selectors):
                #expect(selectors.count <= IKEv2Limits.maxTrafficSelectors)
            case .delete(let delete):
                #expect(delete.spis.count <= IKEv2Limits.maxDeleteSPIs)
                #expect(delete.spis.allSatisfy { $0.count == Int(delete.spiSize) })
            case .configuration(let cp):
                #expect(cp.attributes.count <= IKEv2Limits.maxConfigAttributes)
            case .malformed(let problem):
                #expect(message.problems.contains(problem), "\(where_): malformed payload's problem not listed")
            default:
                break
            }
            #expect(!payload.summary.isEmpty)
            let json = payload.jsonObject()
            #expect(json.hasPrefix("{\"type\":\(payload.type),") && json.hasSuffix("}"))
        }
        for problem in message.problems {
            #expect(problem.offset >= 0 && problem.offset <= bytes.count, "\(where_): problem offset \(problem.offset)")
            #expect(!IKEParseProblemText.reason(problem).isEmpty)
        }
    }

    // MARK: - Crafted messages

    /// Encrypted fragment 2 of 3 after an N; a message with every other payload type.
    static func kitchenSink() -> [UInt8] {
        IKEv2Craft.message([
            .init(
                33,
                IKEv2Craft.proposal(
                    number: 1, protocolID: 1, spi: [],
                    transforms: [
                        IKEv2Craft.transform(1, 12, attributes: [0x80, 0x0e, 0x01, 0x00]),
                        IKEv2Craft.transform(2, 5), IKEv2Craft.transform(3, 12), IKEv2Craft.transform(4, 19),
                    ], last: false)
                    + IKEv2Craft.proposal(
                        number: 2, protocolID: 3, spi: [0xc1, 0x9c, 0x5d, 0x01],
                        transforms: [
                            IKEv2Craft.transform(1, 20, attributes: [0x80, 0x0e, 0x01, 0x00]),
                            IKEv2Craft.transform(5, 0),
                        ])),
            .init(34, [0, 19, 0, 0] + Array(repeating: 0xab, count: 64)),
            .init(35, [2, 0, 0, 0] + Array("moon.example".utf8)),
            .init(36, [1, 0, 0, 0, 192, 0, 2, 1]),
            .init(37, [4] + Array(repeating: 0x30, count: 10)),
            .init(38, [4] + Array(repeating: 0x11, count: 40)),
            .init(39, [2, 0, 0, 0] + Array(repeating: 0x55, count: 32)),
            .init(40, Array(repeating: 0x77, count: 32)),
            .init(41, [3, 4, 0x40, 0x09, 0xc1, 0x9c, 0x5d, 0x01]),
            .init(41, [0, 0, 0, 17, 0, 19]),
            .init(42, [3, 4, 0, 2, 0xc1, 0x9c, 0x5d, 0x01, 0x42, 0x18, 0xb5, 0x6d]),
            .init(43, Array(Hex.decode("882fe56d6fd20dbc2251613b2ebe5beb") ?? [])),
            .init(43, Array("OEplutounit0".utf8)),
            .init(
                44,
                [1, 0, 0, 0]
                    + IKEv2Craft.ipv4Selector(
                        proto: 0, ports: (0, 65535), start: [10, 200, 1, 0], end: [10, 200, 1, 255])),
            .init(
                45,
                [2, 0, 0, 0]
                    + IKEv2Craft.ipv4Selector(proto: 6, ports: (80, 80), start: [10, 0, 0, 1], end: [10, 0, 0, 9])
                    + IKEv2Craft.ipv6Selector(
                        proto: 17, ports: (500, 600), start: IPAddress("fd00:201::")?.bytes ?? [],
                        end: IPAddress("fd00:201::ffff:ffff:ffff:ffff")?.bytes ?? [])),
            .init(47, [1, 0, 0, 0, 0, 1, 0, 0, 0, 10, 0, 0]),
            .init(48, [1, 7, 0, 5, 1]),
            .init(50, [1, 2, 3], critical: true),
            .init(46, Array(repeating: 0xee, count: 48), next: 35),
        ])
    }

    @Test func kitchenSinkParsesAndDescribes() throws {
        let bytes = Self.kitchenSink()
        let message = try IKEv2Parser.parseMessage(bytes, range: 0..<bytes.count).get()
        #expect(
            message.payloads.map(\.name) == [
                "SA", "KE", "IDi", "IDr", "CERT", "CERTREQ", "AUTH", "Nonce", "N", "N", "D", "V", "V",
                "TSi", "TSr", "CP", "EAP", "IDg", "SK",
            ])
        #expect(message.problems.map(\.code) == [.unknownCriticalPayload])
        #expect(
            message.payloads.map(\.summary) == [
                "SA: #1 IKE ENCR_AES_CBC_256 PRF_HMAC_SHA2_256 AUTH_HMAC_SHA2_256_128 ECP_256 | #2 ESP spi=c19c5d01 ENCR_AES_GCM_16_256 NO_ESN",
                "KE: ECP_256 (64 bytes)",
                "IDi: ID_FQDN moon.example",
                "IDr: ID_IPV4_ADDR 192.0.2.1",
                "CERT: X.509 Certificate - Signature (10 bytes)",
                "CERTREQ: X.509 Certificate - Signature, 2 CAs",
                "AUTH: Shared Key Message Integrity Code",
                "Nonce: 32 bytes",
                "N(REKEY_SA) ESP spi=c19c5d01",
                "N(INVALID_KE_PAYLOAD) group=ECP_256",
                "D: ESP c19c5d01 4218b56d",
                "V: strongSwan",
                "V: Openswan/Libreswan",
                "TSi: 10.200.1.0/24",
                "TSr: 10.0.0.1-10.0.0.9[tcp/80], fd00:201::/64[udp/500-600]",
                "CP(CFG_REQUEST): INTERNAL_IP4_ADDRESS, INTERNAL_IP6_DNS",
                "EAP: Request/Identity",
                "IDg: 3 bytes",
                "SK: 48 bytes encrypted",
            ])
        guard case .encrypted(let sk) = message.payloads.last?.body else {
            Issue.record("no SK")
            return
        }
        #expect(sk.firstInnerPayload == 35)
        #expect(sk.contentRange == (bytes.count - 48)..<bytes.count)
        let json = message.payloads.map { $0.jsonObject() }
        #expect(
            json[2]
                == #"{"type":35,"name":"IDi","critical":false,"id_type":2,"id_type_name":"ID_FQDN","value":"moon.example"}"#
        )
        #expect(
            json[6]
                == #"{"type":39,"name":"AUTH","critical":false,"method":2,"method_name":"Shared Key Message Integrity Code","length":32}"#
        )
        #expect(
            json[8]
                == #"{"type":41,"name":"N","critical":false,"notify_type":16393,"notify":"REKEY_SA","error":false,"protocol":"ESP","spi":"c19c5d01","data":""}"#
        )
        #expect(
            json[10]
                == #"{"type":42,"name":"D","critical":false,"protocol":"ESP","spi_size":4,"spis":["c19c5d01","4218b56d"]}"#
        )
        #expect(
            json[11]
                == #"{"type":43,"name":"V","critical":false,"vendor_id":"882fe56d6fd20dbc2251613b2ebe5beb","vendor":"strongSwan"}"#
        )
        #expect(
            json[13]
                == #"{"type":44,"name":"TSi","critical":false,"selectors":[{"type":7,"type_name":"TS_IPV4_ADDR_RANGE","protocol":0,"ports":"0-65535","start":"10.200.1.0","end":"10.200.1.255","text":"10.200.1.0/24"}]}"#
        )
        #expect(
            json[15]
                == #"{"type":47,"name":"CP","critical":false,"cfg_type":1,"cfg_type_name":"CFG_REQUEST","attributes":[{"type":1,"name":"INTERNAL_IP4_ADDRESS","length":0},{"type":10,"name":"INTERNAL_IP6_DNS","length":0}]}"#
        )
        #expect(
            json[16]
                == #"{"type":48,"name":"EAP","critical":false,"code":1,"code_name":"Request","identifier":7,"eap_type":1,"eap_type_name":"Identity","length":0}"#
        )
        #expect(json[17] == #"{"type":50,"name":"IDg","critical":true,"length":3,"data":"010203"}"#)
        #expect(
            json[18]
                == #"{"type":46,"name":"SK","critical":false,"first_payload":35,"first_payload_name":"IDi","length":48}"#
        )
        Self.checkInvariants(message, bytes: bytes, range: 0..<bytes.count, where_: "kitchen sink")
    }

    @Test func encryptedFragment() throws {
        let bytes = IKEv2Craft.message(
            [.init(53, [0, 2, 0, 3] + Array(repeating: 1, count: 40), next: 0)], exchange: 35)
        let message = try IKEv2Parser.parseMessage(bytes, range: 0..<bytes.count).get()
        #expect(message.problems.isEmpty)
        #expect(message.payloads.map(\.summary) == ["SKF: fragment 2/3"])
        guard case .encryptedFragment(let skf) = message.payloads.first?.body else {
            Issue.record("no SKF")
            return
        }
        #expect(skf.fragmentNumber == 2 && skf.totalFragments == 3 && skf.firstInnerPayload == 0)
        #expect(skf.contentRange == 36..<bytes.count)
        for (number, total) in [(0, 3), (4, 3), (1, 0)] {
            let bad = IKEv2Craft.message([.init(53, [0, UInt8(number), 0, UInt8(total)] + [1, 2, 3, 4])])
            let parsed = try IKEv2Parser.parseMessage(bad, range: 0..<bad.count).get()
            #expect(parsed.problems.map(\.code) == [.badFragmentNumber], "fragment \(number)/\(total)")
        }
    }

    @Test func headerChecks() throws {
        var bytes = Self.kitchenSink()
        // Trailing bytes after the message.
        let padded = bytes + [0, 0, 0]
        let message = try IKEv2Parser.parseMessage(padded, range: 0..<padded.count).get()
        #expect(message.header.range == 0..<bytes.count)
        #expect(message.problems.map(\.code).contains(.trailingBytes))
        // The message inside a larger buffer.
        let framed = [UInt8](repeating: 9, count: 11) + bytes + [7, 7]
        let inner = try IKEv2Parser.parseMessage(framed, range: 11..<(11 + bytes.count)).get()
        #expect(inner.payloads.count == 19)
        #expect(inner.payloads.first?.range.lowerBound == 11 + 28)
        #expect(inner.payloads.map(\.summary) == message.payloads.map(\.summary))
        // Version 1.
        var v1 = bytes
        v1[17] = 0x10
        #expect(Self.failureCode(v1) == .notIKEv2)
        // Length field below 28, above the bytes.
        bytes.setBE32(24, 27)
        #expect(Self.failureCode(bytes) == .badMessageLength)
        bytes.setBE32(24, UInt32(bytes.count + 1))
        #expect(Self.failureCode(bytes) == .truncatedMessage)
        bytes.setBE32(24, 0xffff_ffff)
        #expect(Self.failureCode(bytes) == .truncatedMessage)
        // Ranges outside the buffer.
        #expect(Self.failureCode(bytes, range: 0..<(bytes.count + 1)) == .badRange)
        #expect(Self.failureCode(bytes, range: -1..<10) == .badRange)
        #expect(Self.failureCode([], range: 0..<0) == .truncatedHeader)
    }

    /// Every prefix of a message fails with a header code; every message cut at every length
    /// (length field set to match) parses with a problem that says where.
    @Test func truncationAtEveryOffset() throws {
        var samples = [Self.kitchenSink()]
        let strongSwan = try IKECaptureMessages.read(Self.strongSwanCapture("aes128gcm16-v6"))
        samples += strongSwan.prefix(2).map { Array($0.bytes[$0.range]) }
        for full in samples {
            for length in 0..<full.count {
                let code = Self.failureCode(full, range: 0..<length)
                #expect(
                    code == (length < 28 ? .truncatedHeader : .truncatedMessage),
                    "prefix \(length): \(String(describing: code))")
                guard length >= 28 else { continue }
                var cut = Array(full[0..<length])
                cut.setBE32(24, UInt32(length))
                let message = try IKEv2Parser.parseMessage(cut, range: 0..<length).get()
                Self.checkInvariants(message, bytes: cut, range: 0..<length, where_: "cut at \(length)")
                let chainCodes: Set<IKEParseProblem.Code> = [.truncatedPayloadHeader, .payloadBeyondEnd]
                #expect(
                    message.problems.contains { chainCodes.contains($0.code) },
                    "cut at \(length): \(message.problems.map(\.code))")
            }
        }
    }

    @Test func genericPayloadLengths() throws {
        for length in [0, 1, 3] {
            var bytes = IKEv2Craft.message([.init(40, [1, 2, 3, 4]), .init(43, [5, 6, 7, 8])])
            bytes[28 + 8 + 2] = 0
            bytes[28 + 8 + 3] = UInt8(length)
            let message = try IKEv2Parser.parseMessage(bytes, range: 0..<bytes.count).get()
            #expect(message.payloads.map(\.name) == ["Nonce"])
            #expect(message.problems.map(\.code) == [.badPayloadLength], "length \(length)")
            #expect(message.problems.first?.offset == 28 + 8 + 2)
        }
        var oversized = IKEv2Craft.message([.init(40, [1, 2, 3, 4])])
        oversized.setBE16(28 + 2, 1000)
        let message = try IKEv2Parser.parseMessage(oversized, range: 0..<oversized.count).get()
        #expect(message.payloads.isEmpty)
        #expect(message.problems.map(\.code) == [.payloadBeyondEnd])
        // A chain that announces a payload after the last bytes.
        let announced = IKEv2Craft.message([.init(40, [1, 2, 3, 4], next: 41)])
        #expect(
            try IKEv2Parser.parseMessage(announced, range: 0..<announced.count).get().problems.map(\.code) == [
                .truncatedPayloadHeader
            ])
        // Bytes after a payload that says none follows.
        var trailing = IKEv2Craft.message([.init(40, [1, 2, 3, 4])]) + [0, 0]
        trailing.setBE32(24, UInt32(trailing.count))
        #expect(
            try IKEv2Parser.parseMessage(trailing, range: 0..<trailing.count).get().problems.map(\.code) == [
                .trailingBytes
            ])
        // Bytes after SK.
        var afterSK = IKEv2Craft.message([.init(46, [1, 2, 3, 4], next: 33)]) + [0, 0, 0, 4]
        afterSK.setBE32(24, UInt32(afterSK.count))
        let sk = try IKEv2Parser.parseMessage(afterSK, range: 0..<afterSK.count).get()
        #expect(sk.payloads.map(\.name) == ["SK"])
        #expect(sk.problems.map(\.code) == [.dataAfterEncrypted])
    }

    @Test func tooManyPayloads() throws {
        let bytes = IKEv2Craft.message(
            Array(repeating: IKEv2Craft.Item(43, []), count: IKEv2Limits.maxPayloadsPerMessage + 5))
        let message = try IKEv2Parser.parseMessage(bytes, range: 0..<bytes.count).get()
        #expect(message.payloads.count == IKEv2Limits.maxPayloadsPerMessage)
        #expect(message.problems.map(\.code) == [.tooManyPayloads])
    }

    @Test func decryptedChains() {
        // What an SK held: IDi, AUTH, then an SK that cannot be there.
        let chain = IKEv2Craft.chain([
            .init(35, [1, 0, 0, 0, 10, 0, 0, 1]), .init(39, [2, 0, 0, 0, 9]), .init(46, [1, 2, 3], next: 41),
        ])
        let parsed = IKEv2Parser.parsePayloadChain(chain, range: 0..<chain.count, firstPayload: 35)
        #expect(parsed.payloads.map(\.name) == ["IDi", "AUTH", "SK"])
        #expect(parsed.problems.map(\.code) == [.nestedEncrypted])
        guard case .malformed(let problem) = parsed.payloads.last?.body else {
            Issue.record("nested SK not malformed")
            return
        }
        #expect(problem.code == .nestedEncrypted)
        #expect(
            IKEv2Parser.parsePayloadChain(chain, range: 0..<(chain.count + 1), firstPayload: 35).problems.map(\.code)
                == [.badRange])
        #expect(IKEv2Parser.parsePayloadChain([], range: 0..<0, firstPayload: 0).payloads.isEmpty)
        #expect(
            IKEv2Parser.parsePayloadChain([], range: 0..<0, firstPayload: 41).problems.map(\.code) == [
                .truncatedPayloadHeader
            ])
    }

    // MARK: - Bodies

    static func body(_ type: UInt8, _ body: [UInt8]) throws -> (IKEv2Payload, [IKEParseProblem.Code]) {
        let bytes = IKEv2Craft.message([.init(type, body)])
        let message = try IKEv2Parser.parseMessage(bytes, range: 0..<bytes.count).get()
        let payload = try #require(message.payloads.first)
        return (payload, message.problems.map(\.code))
    }

    static func malformedCode(_ type: UInt8, _ body: [UInt8]) throws -> IKEParseProblem.Code? {
        guard case .malformed(let problem) = try Self.body(type, body).0.body else { return nil }
        return problem.code
    }

    @Test func shortBodies() throws {
        let fixed: [UInt8: Int] = [
            34: 4, 35: 4, 36: 4, 37: 1, 38: 1, 39: 4, 41: 4, 42: 4, 44: 4, 45: 4, 47: 4, 48: 4, 53: 4,
        ]
        for (type, needed) in fixed {
            for length in 0..<needed {
                #expect(
                    try Self.malformedCode(type, Array(repeating: 0, count: length)) == .truncatedBody,
                    "type \(type), \(length) bytes")
            }
        }
        // Nonce, V and unknown payloads may be empty.
        #expect(try Self.body(40, []).0.body == .nonce([]))
        #expect(try Self.body(43, []).0.body == .vendorID([]))
        #expect(try Self.body(99, []).0.body == .unknown([]))
        // An empty SA has no proposals.
        #expect(try Self.body(33, []).0.body == .securityAssociation([]))
    }

    @Test func securityAssociationLimitsAndLengths() throws {
        let oneTransform = [IKEv2Craft.transform(1, 12)]
        // 65 proposals: the first 64 kept.
        var many: [UInt8] = []
        for n in 1...65 {
            many += IKEv2Craft.proposal(
                number: UInt8(n), protocolID: 3, spi: [0, 0, 0, UInt8(n)], transforms: oneTransform, last: n == 65)
        }
        let (sa, codes) = try Self.body(33, many)
        guard case .securityAssociation(let proposals) = sa.body else { throw Failure("SA did not parse: \(sa.body)") }
        #expect(proposals.count == IKEv2Limits.maxProposalsPerSA)
        #expect(codes == [.tooManyProposals])
        // 65 transforms in one proposal.
        let transforms = (0..<65).map { IKEv2Craft.transform(1, UInt16($0), last: $0 == 64) }
        let (big, bigCodes) = try Self.body(
            33, IKEv2Craft.proposal(number: 1, protocolID: 1, spi: [], transforms: transforms, declared: 65))
        guard case .securityAssociation(let bigProposals) = big.body else { throw Failure("SA did not parse") }
        #expect(bigProposals.first?.transforms.count == IKEv2Limits.maxTransformsPerProposal)
        #expect(bigCodes == [.tooManyTransforms])
        // 17 attributes in one transform.
        let attributes = (0..<17).flatMap { index -> [UInt8] in [0x80, UInt8(20 + index), 0, 1] }
        let (attributed, attributeCodes) = try Self.body(
            33,
            IKEv2Craft.proposal(
                number: 1, protocolID: 1, spi: [],
                transforms: [IKEv2Craft.transform(1, 12, attributes: attributes)]))
        guard case .securityAssociation(let attributedProposals) = attributed.body else {
            throw Failure("SA did not parse")
        }
        #expect(
            attributedProposals.first?.transforms.first?.otherAttributes.count == IKEv2Limits.maxAttributesPerTransform)
        #expect(attributeCodes == [.tooManyAttributes])
        // Proposal length smaller than its header, larger than the payload; SPI too large.
        var proposal = IKEv2Craft.proposal(number: 1, protocolID: 1, spi: [], transforms: oneTransform)
        for length: UInt16 in [0, 4, 7, UInt16(proposal.count + 1), 0xffff] {
            proposal.setBE16(2, length)
            #expect(try Self.malformedCode(33, proposal) == .badProposal, "proposal length \(length)")
        }
        var spiTooLarge = IKEv2Craft.proposal(number: 1, protocolID: 3, spi: [1, 2, 3, 4], transforms: oneTransform)
        spiTooLarge[6] = 200
        #expect(try Self.malformedCode(33, spiTooLarge) == .badSPISize)
        // Transform length smaller than its header; attribute past its transform.
        var shortTransform = IKEv2Craft.proposal(number: 1, protocolID: 1, spi: [], transforms: oneTransform)
        shortTransform.setBE16(8 + 2, 4)
        #expect(try Self.malformedCode(33, shortTransform) == .badTransform)
        let longAttribute = IKEv2Craft.proposal(
            number: 1, protocolID: 1, spi: [],
            transforms: [IKEv2Craft.transform(1, 12, attributes: [0x00, 0x0e, 0x00, 0x09, 1])])
        #expect(try Self.malformedCode(33, longAttribute) == .badAttribute)
        // Non-fatal: declared count, Last Substruc, bytes after the last proposal.
        let (_, countCodes) = try Self.body(
            33, IKEv2Craft.proposal(number: 1, protocolID: 1, spi: [], transforms: oneTransform, declared: 3))
        #expect(countCodes == [.countMismatch])
        let (_, lastCodes) = try Self.body(
            33, IKEv2Craft.proposal(number: 1, protocolID: 1, spi: [], transforms: oneTransform, last: false))
        #expect(lastCodes == [.badLastSubstructure])
        let (_, trailingCodes) = try Self.body(
            33, IKEv2Craft.proposal(number: 1, protocolID: 1, spi: [], transforms: oneTransform) + [0, 0, 0])
        #expect(trailingCodes == [.trailingBytes])
    }

    @Test func deleteCounts() throws {
        // The count field claims 65535 SPIs of 4 bytes: checked against the 8 bytes present.
        #expect(try Self.malformedCode(42, [3, 4, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8]) == .badDeleteCount)
        #expect(try Self.malformedCode(42, [3, 0, 0, 2]) == .badDeleteCount)
        // 5000 one-byte SPIs really present: the first 4096 kept.
        let (payload, codes) = try Self.body(42, [3, 1, 0x13, 0x88] + (0..<5000).map { UInt8($0 & 0xff) })
        guard case .delete(let delete) = payload.body else { throw Failure("D did not parse") }
        #expect(delete.spis.count == IKEv2Limits.maxDeleteSPIs)
        #expect(codes == [.tooManyDeleteSPIs])
        // IKE SA delete: no SPIs.
        let (ike, ikeCodes) = try Self.body(42, [1, 0, 0, 0])
        #expect(ike.body == .delete(IKEv2Delete(protocolID: 1, spiSize: 0, spis: [])))
        #expect(ikeCodes.isEmpty)
        #expect(ike.summary == "D: IKE")
        let (_, extra) = try Self.body(42, [3, 4, 0, 1, 1, 2, 3, 4, 5])
        #expect(extra == [.trailingBytes])
    }

    @Test func trafficSelectorLengths() throws {
        let good = IKEv2Craft.ipv4Selector(proto: 0, ports: (0, 65535), start: [10, 0, 0, 0], end: [10, 0, 0, 255])
        for length: UInt16 in [0, 3, 15, 17, 40, 2000] {
            var selector = good
            selector.setBE16(2, length)
            #expect(
                try Self.malformedCode(44, [1, 0, 0, 0] + selector) == .badTrafficSelector,
                "IPv4 selector length \(length)")
        }
        var ipv6 = IKEv2Craft.ipv6Selector(
            proto: 0, ports: (0, 65535), start: Array(repeating: 0, count: 16), end: Array(repeating: 0xff, count: 16))
        ipv6.setBE16(2, 16)
        #expect(try Self.malformedCode(45, [1, 0, 0, 0] + ipv6) == .badTrafficSelector)
        // More declared than present.
        #expect(try Self.malformedCode(44, [200, 0, 0, 0] + good) == .badTrafficSelector)
        // 65 selectors present: 64 kept.
        let (payload, codes) = try Self.body(44, [65, 0, 0, 0] + Array((0..<65).map { _ in good }.joined()))
        guard case .trafficSelectors(let selectors) = payload.body else { throw Failure("TS did not parse") }
        #expect(selectors.count == IKEv2Limits.maxTrafficSelectors)
        #expect(codes == [.tooManyTrafficSelectors])
        // Other types kept raw; bytes after the declared selectors.
        let (raw, rawCodes) = try Self.body(44, [1, 0, 0, 0, 10, 0, 0, 7, 0xaa, 0xbb, 0xcc, 9])
        #expect(
            raw.body
                == .trafficSelectors([
                    IKEv2TrafficSelector(
                        type: 10, ipProtocol: 0, startPort: 0, endPort: 0, startAddress: [],
                        endAddress: [], data: [0xaa, 0xbb, 0xcc])
                ]))
        #expect(rawCodes == [.trailingBytes])
        #expect(raw.summary == "TSi: TS_SECLABEL aabbcc")
    }

    @Test func trafficSelectorText() {
        func v4(_ start: [UInt8], _ end: [UInt8], proto: UInt8 = 0, ports: (UInt16, UInt16) = (0, 65535)) -> String {
            IKEv2TrafficSelector(
                type: 7, ipProtocol: proto, startPort: ports.0, endPort: ports.1, startAddress: start, endAddress: end
            ).text
        }
        #expect(v4([0, 0, 0, 0], [255, 255, 255, 255]) == "0.0.0.0/0")
        #expect(v4([10, 0, 0, 1], [10, 0, 0, 1]) == "10.0.0.1/32")
        #expect(v4([10, 0, 0, 1], [10, 0, 0, 9]) == "10.0.0.1-10.0.0.9")
        #expect(v4([10, 0, 0, 0], [10, 0, 1, 255], proto: 17) == "10.0.0.0/23[udp]")
        #expect(v4([10, 0, 0, 0], [10, 0, 0, 127], proto: 0, ports: (500, 500)) == "10.0.0.0/25[any/500]")
        #expect(v4([10, 0, 0, 0], [10, 0, 0, 127], proto: 6, ports: (65535, 0)) == "10.0.0.0/25[tcp/OPAQUE]")
        #expect(v4([10, 0, 0, 9], [10, 0, 0, 1]) == "10.0.0.9-10.0.0.1")
        let all6 = IKEv2TrafficSelector(
            type: 8, ipProtocol: 58, startPort: 0, endPort: 65535, startAddress: Array(repeating: 0, count: 16),
            endAddress: Array(repeating: 0xff, count: 16))
        #expect(all6.text == "::/0[ipv6-icmp]")
    }

    @Test func notifyAndOtherBodies() throws {
        #expect(try Self.malformedCode(41, [3, 8, 0x40, 0x09, 1, 2, 3, 4]) == .badSPISize)
        let (cookie, _) = try Self.body(41, [0, 0, 0x40, 0x06] + Array(repeating: 1, count: 16))
        #expect(cookie.summary == "N(COOKIE) (16 bytes)")
        let (error, _) = try Self.body(41, [0, 0, 0, 14])
        guard case .notify(let notify) = error.body else { throw Failure("N did not parse") }
        #expect(notify.isError && notify.name == "NO_PROPOSAL_CHOSEN")
        #expect(error.summary == "N(NO_PROPOSAL_CHOSEN)")
        let (unknownNotify, _) = try Self.body(41, [0, 0, 0x9c, 0x40])
        #expect(unknownNotify.summary == "N(NOTIFY_40000)")
        // CP: attribute past the payload; 257 attributes; a reply with values.
        #expect(try Self.malformedCode(47, [2, 0, 0, 0, 0, 1, 0, 8, 10, 0, 0, 1]) == .badConfigAttribute)
        let (manyAttributes, cpCodes) = try Self.body(
            47, [1, 0, 0, 0] + Array((0..<257).map { _ in [UInt8(0), 3, 0, 0] }.joined()))
        guard case .configuration(let cp) = manyAttributes.body else { throw Failure("CP did not parse") }
        #expect(cp.attributes.count == IKEv2Limits.maxConfigAttributes)
        #expect(cpCodes == [.tooManyConfigAttributes])
        let (reply, _) = try Self.body(
            47, [2, 0, 0, 0, 0, 1, 0, 4, 10, 3, 0, 1, 0, 8, 0, 17] + (IPAddress("fd00::1")?.bytes ?? []) + [64])
        #expect(reply.summary == "CP(CFG_REPLY): INTERNAL_IP4_ADDRESS=10.3.0.1, INTERNAL_IP6_ADDRESS=fd00::1/64")
        // EAP lengths.
        #expect(try Self.malformedCode(48, [1, 1, 0, 9, 1]) == .badEAPLength)
        #expect(try Self.malformedCode(48, [1, 1, 0, 4]) == .badEAPLength)
        #expect(try Self.malformedCode(48, [1, 1, 0, 3, 0]) == .badEAPLength)
        let (success, successCodes) = try Self.body(48, [3, 9, 0, 4])
        #expect(success.summary == "EAP: Success")
        #expect(successCodes.isEmpty)
        let (_, eapTrailing) = try Self.body(48, [2, 9, 0, 5, 1, 0xff])
        #expect(eapTrailing == [.trailingBytes])
        // Unknown payload types are kept; the critical bit on them is reported.
        let bytes = IKEv2Craft.message([.init(200, [1, 2], critical: true), .init(201, [3])])
        let message = try IKEv2Parser.parseMessage(bytes, range: 0..<bytes.count).get()
        #expect(message.payloads.map(\.body) == [.unknown([1, 2]), .unknown([3])])
        #expect(message.problems.map(\.code) == [.unknownCriticalPayload])
        #expect(message.payloads.map(\.name) == ["PAYLOAD_200", "PAYLOAD_201"])
        // A known payload's critical bit is not a problem.
        let known = IKEv2Craft.message([.init(40, [1, 2, 3, 4], critical: true)])
        #expect(try IKEv2Parser.parseMessage(known, range: 0..<known.count).get().problems.isEmpty)
    }

    @Test func identificationText() {
        #expect(IKEv2Identification(type: 1, data: [10, 0, 0, 1]).text == "10.0.0.1")
        #expect(IKEv2Identification(type: 1, data: [10, 0, 0]).text == "0a0000")
        #expect(IKEv2Identification(type: 5, data: IPAddress("2001:db8::1")?.bytes ?? []).text == "2001:db8::1")
        #expect(IKEv2Identification(type: 3, data: Array("carol@strongswan.org".utf8)).text == "carol@strongswan.org")
        #expect(IKEv2Identification(type: 2, data: [0x66, 0x00, 0x0a]).text == "66000a")
        #expect(IKEv2Identification(type: 11, data: [0xde, 0xad]).text == "dead")
        #expect(IKEv2Identification(type: 13, data: []).typeName == "ID_NULL")
        // C=CH, O=strongSwan, CN=moon.strongswan.org
        let dn = IKEv2Craft.der(
            0x30,
            IKEv2Craft.der(
                0x31,
                IKEv2Craft.der(0x30, IKEv2Craft.der(0x06, [0x55, 0x04, 0x06]) + IKEv2Craft.der(0x13, Array("CH".utf8))))
                + IKEv2Craft.der(
                    0x31,
                    IKEv2Craft.der(
                        0x30, IKEv2Craft.der(0x06, [0x55, 0x04, 0x0a]) + IKEv2Craft.der(0x0c, Array("strongSwan".utf8)))
                )
                + IKEv2Craft.der(
                    0x31,
                    IKEv2Craft.der(
                        0x30,
                        IKEv2Craft.der(0x06, [0x55, 0x04, 0x03])
                            + IKEv2Craft.der(0x0c, Array(String(repeating: "m", count: 200).utf8)))))
        #expect(
            IKEv2Identification(type: 9, data: dn).text == "C=CH, O=strongSwan, CN="
                + String(repeating: "m", count: 200))
        // Every truncation of the DN, and an unknown OID, fall back without trapping.
        for length in 0..<dn.count {
            let text = IKEv2Identification(type: 9, data: Array(dn[0..<length])).text
            #expect(text == Hex.encode(dn[0..<length]), "DN cut at \(length)")
        }
        let unknownOID = IKEv2Craft.der(
            0x30,
            IKEv2Craft.der(
                0x31,
                IKEv2Craft.der(
                    0x30,
                    IKEv2Craft.der(0x06, [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37])
                        + IKEv2Craft.der(0x13, Array("x".utf8)))))
        #expect(IKEv2Identification(type: 9, data: unknownOID).text == "1.3.6.1.4.1.311=x")
    }

    // MARK: - Names and vendor IDs

    @Test func names() {
        #expect(IKEv2Names.payloadName(53) == "SKF")
        #expect(IKEv2Names.payloadName(54) == "PS")
        #expect(IKEv2ExchangeType.ikeIntermediate.name == "IKE_INTERMEDIATE")
        #expect(IKEv2ExchangeType(rawValue: 44).name == "IKE_FOLLOWUP_KE")
        #expect(IKEv2Names.notifyName(16441) == "ADDITIONAL_KEY_EXCHANGE")
        #expect(IKEv2Names.notifyName(16442) == "USE_AGGFRAG")
        #expect(IKEv2Names.notifyName(16443) == "SUPPORTED_AUTH_METHODS")
        #expect(IKEv2Names.notifyName(16438) == "INTERMEDIATE_EXCHANGE_SUPPORTED")
        #expect(IKEv2Names.notifyName(47) == "STATE_NOT_FOUND")
        #expect(IKEv2Names.notifyName(12345) == "NOTIFY_12345")
        // Status types 16384...16447 are all named.
        for type in UInt16(16384)...16447 { #expect(!IKEv2Names.notifyName(type).hasPrefix("NOTIFY_"), "\(type)") }
        #expect(IKEv2Names.keyExchangeName(35) == "ML_KEM_512")
        #expect(IKEv2Names.keyExchangeName(37) == "ML_KEM_1024")
        #expect(IKEv2Names.keyExchangeName(32) == "CURVE448")
        #expect(IKEv2Transform(type: 1, id: 14, keyLength: 128).name == "ENCR_AES_CCM_8_128")
        #expect(IKEv2Transform(type: 1, id: 28).name == "ENCR_CHACHA20_POLY1305")
        #expect(IKEv2Transform(type: 1, id: 21, keyLength: 256).name == "ENCR_NULL_AUTH_AES_GMAC_256")
        #expect(IKEv2Transform(type: 6, id: 36).name == "ML_KEM_768")
        #expect(IKEv2Transform(type: 6, id: 36).typeName == "ADDKE1")
        #expect(IKEv2Transform(type: 12, id: 0).typeName == "ADDKE7")
        #expect(IKEv2Transform(type: 5, id: 1).name == "ESN")
        #expect(IKEv2Transform(type: 99, id: 7).name == "TRANSFORM_TYPE_99_7")
        #expect(IKEv2Names.authMethodName(14) == "Digital Signature")
        #expect(IKEv2Names.configAttributeName(1) == "INTERNAL_IP4_ADDRESS")
    }

    @Test func vendorIDs() {
        func name(_ hex: String) -> String? { KnownVendorIDs.name(Hex.decode(hex) ?? []) }
        #expect(name("882fe56d6fd20dbc2251613b2ebe5beb") == "strongSwan")
        #expect(name("afcad71368a1f1c96b8696fc77570100") == "RFC 3706 DPD")
        #expect(name("4a131c81070358455c5728f20e95452f") == "RFC 3947 NAT-Traversal")
        #expect(name("12f5f28c457168a9702d9fe274cc0100") == "CISCO-UNITY")
        #expect(name("4048b7d56ebce88525e7de7f00d6c2d3") == "FRAGMENTATION")
        #expect(name("4048b7d56ebce88525e7de7f00d6c2d3c0000000") == "FRAGMENTATION")
        #expect(name("1e2b516905991c7d7c96fcbfb587e46100000009") == "MS NT5 ISAKMPOAKLEY")
        #expect(name("09002689dfd6b712") == "XAUTH")
        #expect(name("09002689dfd6b71280a224dec33b81e5") == "XAUTH")
        #expect(name("e3a5966a76379fe707228231e5ce8652") == "IKE CGA version 1")
        #expect(name(Hex.encode(Array("OE@yBqOrT~I{".utf8))) == "Openswan/Libreswan")
        #expect(name(Hex.encode(Array("OE@y".utf8))) == nil)
        #expect(name(Hex.encode(Array("FLEXVPN-SUPPORTED".utf8))) == "Cisco FlexVPN Supported")
        #expect(name("882fe56d6fd20dbc2251613b2ebe5b") == nil)
        #expect(name("") == nil)
        #expect(KnownVendorIDs.table.allSatisfy { !$0.bytes.isEmpty && !$0.name.isEmpty })
        // MD5 digests of the texts (md5sum): strongSwan, RFC 3947, FRAGMENTATION, KAME/racoon, GSSAPI.
        for digest in [
            "882fe56d6fd20dbc2251613b2ebe5beb", "4a131c81070358455c5728f20e95452f", "4048b7d56ebce88525e7de7f00d6c2d3",
            "7003cbc1097dbe9c2600ba6983bc8b35", "621b04bb09882ac1e15935fefa24aeee",
        ] {
            #expect(name(digest) != nil, "\(digest)")
        }
    }

    // MARK: - Random mutations

    /// 10 000 seeded mutations of real and crafted messages: no trap, invariants hold.
    @Test(.seeded(0x5ec0_11ce_1ce5_eed5)) func randomMutations() throws {
        var seeds: [[UInt8]] = [Self.kitchenSink()]
        for name in ["aes128cbc-sha256-v4", "aes128gcm16-v6", "chacha20poly1305-v4"] {
            seeds += try IKECaptureMessages.read(Self.strongSwanCapture(name)).map { Array($0.bytes[$0.range]) }
        }
        var random = TestSeed.current.generator
        var outcomes: [String: Int] = [:]
        for iteration in 0..<10_000 {
            var bytes = seeds[Int(random.next() % UInt64(seeds.count))]
            random.mutateMessage(&bytes)
            // Mostly keep the header consistent so the payloads are reached.
            if bytes.count >= 28 && random.next() % 4 != 0 {
                bytes[17] = 0x20
                bytes.setBE32(24, UInt32(bytes.count))
            }
            switch IKEv2Parser.parseMessage(bytes, range: 0..<bytes.count) {
            case .success(let message):
                outcomes["ok", default: 0] += 1
                if !message.problems.isEmpty { outcomes["problems", default: 0] += 1 }
                Self.checkInvariants(message, bytes: bytes, range: 0..<bytes.count, where_: "mutation \(iteration)")
            case .failure(let problem):
                outcomes[problem.code.rawValue, default: 0] += 1
            }
            // The same bytes as decrypted SK content.
            let chain = IKEv2Parser.parsePayloadChain(
                bytes, range: min(28, bytes.count)..<bytes.count,
                firstPayload: UInt8(truncatingIfNeeded: random.next() % 60))
            #expect(chain.payloads.count <= IKEv2Limits.maxPayloadsPerMessage)
            for payload in chain.payloads { _ = payload.summary + payload.jsonObject() }
        }
        #expect((outcomes["ok"] ?? 0) > 5_000, "\(outcomes)")
        #expect((outcomes["problems"] ?? 0) > 1_000, "\(outcomes)")
    }

    // MARK: - Helpers

    static func failureCode(_ bytes: [UInt8], range: Range<Int>? = nil) -> IKEParseProblem.Code? {
        guard case .failure(let problem) = IKEv2Parser.parseMessage(bytes, range: range ?? 0..<bytes.count) else {
            return nil
        }
        return problem.code
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

extension IKEv2Message {
    /// The notify payloads, in order.
    var testNotifies: [IKEv2Notify] {
        payloads.compactMap { if case .notify(let notify) = $0.body { return notify } else { return nil } }
    }
}

/// Builds IKEv2 messages and payload bodies byte by byte.
enum IKEv2Craft {
    struct Item {
        var type: UInt8
        var body: [UInt8]
        var critical = false
        /// Next Payload to write instead of the following item's type.
        var next: UInt8?
        init(_ type: UInt8, _ body: [UInt8], critical: Bool = false, next: UInt8? = nil) {
            self.type = type
            self.body = body
            self.critical = critical
            self.next = next
        }
    }

    static func chain(_ items: [Item]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, item) in items.enumerated() {
            let next = item.next ?? (index + 1 < items.count ? items[index + 1].type : 0)
            let length = item.body.count + 4
            out += [next, item.critical ? 0x80 : 0, UInt8(length >> 8), UInt8(length & 0xff)] + item.body
        }
        return out
    }

    static func message(_ items: [Item], exchange: UInt8 = 35) -> [UInt8] {
        var out: [UInt8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 0, 0, 0, 0, 0, 0, 0x01]
        out += [items.first?.type ?? 0, 0x20, exchange, 0x08, 0, 0, 0, 1, 0, 0, 0, 0]
        out += chain(items)
        out.setBE32(24, UInt32(out.count))
        return out
    }

    static func transform(_ type: UInt8, _ id: UInt16, attributes: [UInt8] = [], last: Bool = true) -> [UInt8] {
        let length = 8 + attributes.count
        return [last ? 0 : 3, 0, UInt8(length >> 8), UInt8(length & 0xff), type, 0, UInt8(id >> 8), UInt8(id & 0xff)]
            + attributes
    }

    /// A proposal; the transforms' Last Substruc fields are fixed up (3 on all but the last).
    static func proposal(
        number: UInt8, protocolID: UInt8, spi: [UInt8], transforms: [[UInt8]], last: Bool = true, declared: Int? = nil
    ) -> [UInt8] {
        var body: [UInt8] = []
        for (index, transform) in transforms.enumerated() {
            var t = transform
            if !t.isEmpty { t[0] = index + 1 < transforms.count ? 3 : 0 }
            body += t
        }
        let length = 8 + spi.count + body.count
        return [
            last ? 0 : 2, 0, UInt8(length >> 8), UInt8(length & 0xff), number, protocolID, UInt8(spi.count),
            UInt8(truncatingIfNeeded: declared ?? transforms.count),
        ] + spi + body
    }

    static func ipv4Selector(proto: UInt8, ports: (UInt16, UInt16), start: [UInt8], end: [UInt8]) -> [UInt8] {
        [7, proto, 0, 16, UInt8(ports.0 >> 8), UInt8(ports.0 & 0xff), UInt8(ports.1 >> 8), UInt8(ports.1 & 0xff)]
            + start + end
    }

    static func ipv6Selector(proto: UInt8, ports: (UInt16, UInt16), start: [UInt8], end: [UInt8]) -> [UInt8] {
        [8, proto, 0, 40, UInt8(ports.0 >> 8), UInt8(ports.0 & 0xff), UInt8(ports.1 >> 8), UInt8(ports.1 & 0xff)]
            + start + end
    }

    /// A DER TLV with a short or two-byte length.
    static func der(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        if content.count < 128 { return [tag, UInt8(content.count)] + content }
        return [tag, 0x82, UInt8(content.count >> 8), UInt8(content.count & 0xff)] + content
    }
}

/// The IKE messages of a capture as the wire layer finds them (UDP 500, or UDP 4500 after the
/// non-ESP marker), IP fragments reassembled: the frame number of the packet that completed
/// the datagram, the datagram bytes and the IKE range (header to end of UDP payload).
enum IKECaptureMessages {
    struct Sample {
        var frame: Int
        var bytes: [UInt8]
        var range: Range<Int>
    }

    static func read(_ path: String) throws -> [Sample] {
        let reader = try CaptureReader(path: path)
        guard let link = LinkType(dlt: reader.linkType) else { return [] }
        let reassembler = FragmentReassembler()
        var samples: [Sample] = []
        var frame = 0
        loop: while true {
            switch reader.next() {
            case .packet(let header):
                frame += 1
                let length = min(header.capturedLength, reader.buffer.count)
                let bytes = Array(reader.buffer[0..<length])
                var wire = ByteReader(bytes, range: 0..<length)
                guard case .success(let info) = LinkDecoder.decode(&wire, as: link),
                    case .success(let ip) = IPLayer.parse(&wire, announcedVersion: info.announcedVersion)
                else { continue }
                var packet = bytes
                var layer = ip
                if ip.fragment != nil {
                    guard
                        case .complete(let whole, _) = reassembler.add(
                            bytes, ip: ip, time: header.timestamp.totalMicroseconds)
                    else { continue }
                    var datagram = ByteReader(whole)
                    guard case .success(let reassembled) = IPLayer.parse(&datagram) else { continue }
                    packet = whole
                    layer = reassembled
                }
                let layers = IPsecLayers.classify(
                    ByteReader(packet, range: layer.payloadRange), protocolNumber: layer.protocolNumber)
                if case .ike(let ike, _, _) = layers.payload {
                    samples.append(Sample(frame: frame, bytes: packet, range: ike.range))
                }
            case .timeout, .interrupted:
                continue
            case .end, .damaged:
                break loop
            }
        }
        return samples
    }
}

/// tshark's ISAKMP fields per frame, compared with our parse of the same frame.
enum IKETsharkComparison {
    static let fields = [
        "frame.number", "isakmp.version", "isakmp.typepayload", "isakmp.notify.msgtype", "isakmp.tf.type",
        "isakmp.tf.id.encr", "isakmp.tf.id.prf", "isakmp.tf.id.integ", "isakmp.tf.id.dh", "isakmp.tf.id.esn",
        "isakmp.ike2.attr.key_length", "isakmp.key_exchange.dh_group", "isakmp.vid_bytes", "isakmp.id.type",
        "isakmp.frag.number", "isakmp.frag.total",
    ]

    struct Counts {
        /// IKEv2 messages compared; of which without SK/SKF (and without problems).
        var total = 0
        var unencrypted = 0
        /// Messages we parsed with problems (only their payload lists compared).
        var damaged = 0
        /// SK payloads tshark decrypted whose content we parsed and compared.
        var decrypted = 0
        /// SK payloads tshark decrypted with a checksum it says is wrong, whose content did not parse.
        var integrityFailed = 0
    }

    /// Runs tshark on `capture`, through a private profile holding `decryptionTable` (a Wireshark
    /// `ikev2_decryption_table`) when given, as the corpus README does.
    static func tshark(_ capture: String, decryptionTable: String?, arguments extra: [String]) throws -> Data {
        let files = decryptionTable.map { ["ikev2_decryption_table": $0] } ?? [:]
        return Data(try Tshark.output(["-r", capture, "-n", "-Y", "isakmp"] + extra, files: files).utf8)
    }

    static func run(_ capture: String, decryptionTable: String?) throws -> [Int: [String: [String]]] {
        var arguments = ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
        for field in fields { arguments += ["-e", field] }
        let data = try tshark(capture, decryptionTable: decryptionTable, arguments: arguments)
        var frames: [Int: [String: [String]]] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard let number = columns.first.flatMap({ Int($0) }) else { continue }
            var row: [String: [String]] = [:]
            for (index, field) in fields.enumerated().dropFirst() where index < columns.count && !columns[index].isEmpty
            {
                row[field] = columns[index].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            }
            frames[number] = row
        }
        return frames
    }

    struct Plaintext {
        var bytes: [UInt8]
        /// tshark did not flag the IKEv2 integrity checksum as incorrect.
        var integrityOK: Bool
    }

    /// The plaintext payloads of every SK tshark decrypted (`isakmp.enc.contained`), by frame.
    static func decrypted(_ capture: String, decryptionTable: String) throws -> [Int: Plaintext] {
        let data = try tshark(capture, decryptionTable: decryptionTable, arguments: ["-T", "json", "-x"])
        guard let packets = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [:] }
        var frames: [Int: Plaintext] = [:]
        for packet in packets {
            guard let layers = (packet["_source"] as? [String: Any])?["layers"] as? [String: Any],
                let number = ((layers["frame"] as? [String: Any])?["frame.number"] as? String).flatMap({ Int($0) })
            else { continue }
            // A breadth-first walk of the dissection tree for the raw contained data.
            var queue: [Any] = [layers]
            var index = 0
            var plaintext: [UInt8]? = nil
            var integrityOK = true
            while index < queue.count {
                let node = queue[index]
                index += 1
                if let dictionary = node as? [String: Any] {
                    if let raw = dictionary["isakmp.enc.contained_raw"] as? [Any], let text = raw.first as? String,
                        let bytes = Hex.decode(text)
                    {
                        plaintext = bytes
                    }
                    if dictionary["isakmp.ikev2.integrity_checksum"] != nil { integrityOK = false }
                    queue += Array(dictionary.values)
                } else if let array = node as? [Any] {
                    queue += array
                }
            }
            if let plaintext { frames[number] = Plaintext(bytes: plaintext, integrityOK: integrityOK) }
        }
        return frames
    }

    /// Compares every frame that both we and tshark see as one IKEv2 message: field by field
    /// when we found no problem, the payload list alone otherwise. With a decryption table,
    /// what tshark decrypted from SK is parsed with `parsePayloadChain` and compared too.
    static func compare(capture: String, label: String, decryptionTable: String? = nil) throws -> Counts {
        let oracle = try run(capture, decryptionTable: decryptionTable)
        let plaintexts = try decryptionTable.map { try decrypted(capture, decryptionTable: $0) } ?? [:]
        var counts = Counts()
        var seen = Set<Int>()
        for sample in try IKECaptureMessages.read(capture) {
            guard case .success(let parsed) = IKEv2Parser.parseMessage(sample.bytes, range: sample.range) else {
                continue
            }
            var message = parsed
            let where_ = "\(label) frame \(sample.frame)"
            guard seen.insert(sample.frame).inserted else { continue }
            guard let row = oracle[sample.frame] else {
                Issue.record("\(where_): an IKEv2 message tshark did not dissect as ISAKMP")
                continue
            }
            guard row["isakmp.version"] == ["0x20"] else { continue }
            if let plain = plaintexts[sample.frame], case .encrypted(let sk) = message.payloads.last?.body {
                let inner = IKEv2Parser.parsePayloadChain(
                    plain.bytes, range: 0..<plain.bytes.count, firstPayload: sk.firstInnerPayload)
                if !plain.integrityOK && !inner.problems.isEmpty {
                    // Decrypted with a wrong key (tshark says the checksum is wrong): garbage,
                    // which we must report as problems. Only the outer payloads are compared.
                    let tsharkTypes = (row["isakmp.typepayload"] ?? []).compactMap { Int($0) }.filter {
                        $0 != 2 && $0 != 3
                    }
                    #expect(
                        Array(tsharkTypes.prefix(message.payloads.count)) == message.payloads.map { Int($0.type) },
                        "\(where_): outer payload types")
                    counts.total += 1
                    counts.integrityFailed += 1
                    continue
                }
                #expect(
                    inner.problems.isEmpty,
                    "\(where_): decrypted content: \(inner.problems.map(IKEParseProblemText.reason))")
                for payload in inner.payloads {
                    #expect(!payload.summary.isEmpty)
                    #expect(payload.jsonObject().hasSuffix("}"))
                }
                message.payloads += inner.payloads
                message.problems += inner.problems
                counts.decrypted += 1
            }
            func numbers(_ field: String) -> [Int] { (row[field] ?? []).compactMap { Int($0) } }
            // tshark lists proposals (2) and transforms (3) among the payload types.
            let tsharkTypes = numbers("isakmp.typepayload").filter { $0 != 2 && $0 != 3 }
            let ourTypes = message.payloads.map { Int($0.type) }
            guard message.problems.isEmpty else {
                // A damaged message: each parser stops or goes on at its own point, so one
                // list of payload types must begin the other.
                #expect(
                    ourTypes.starts(with: tsharkTypes) || tsharkTypes.starts(with: ourTypes),
                    "\(where_): payload types \(ourTypes), tshark \(tsharkTypes); our problems: \(message.problems.map(IKEParseProblemText.reason))"
                )
                counts.total += 1
                counts.damaged += 1
                continue
            }
            #expect(ourTypes == tsharkTypes, "\(where_): payload types")
            var notifies: [Int] = []
            var transforms: [IKEv2Transform] = []
            var groups: [Int] = []
            var vendorIDs: [String] = []
            var idTypes: [Int] = []
            var fragments: [Int] = []
            for payload in message.payloads {
                switch payload.body {
                case .notify(let notify): notifies.append(Int(notify.type))
                case .securityAssociation(let proposals): transforms += proposals.flatMap(\.transforms)
                case .keyExchange(let group, _): groups.append(Int(group))
                case .vendorID(let data): vendorIDs.append(Hex.encode(data))
                case .identification(let id): idTypes.append(Int(id.type))
                case .encryptedFragment(let skf): fragments += [Int(skf.fragmentNumber), Int(skf.totalFragments)]
                default: break
                }
            }
            #expect(notifies == numbers("isakmp.notify.msgtype"), "\(where_): notify types")
            #expect(transforms.map { Int($0.type) } == numbers("isakmp.tf.type"), "\(where_): transform types")
            let byType: [(UInt8, String)] = [
                (1, "isakmp.tf.id.encr"), (2, "isakmp.tf.id.prf"), (3, "isakmp.tf.id.integ"),
                (4, "isakmp.tf.id.dh"), (5, "isakmp.tf.id.esn"),
            ]
            for (type, field) in byType {
                #expect(
                    transforms.filter { $0.type == type }.map { Int($0.id) } == numbers(field), "\(where_): \(field)")
            }
            #expect(
                transforms.compactMap { $0.keyLength.map(Int.init) } == numbers("isakmp.ike2.attr.key_length"),
                "\(where_): key lengths")
            #expect(groups == numbers("isakmp.key_exchange.dh_group"), "\(where_): KE groups")
            #expect(vendorIDs == (row["isakmp.vid_bytes"] ?? []), "\(where_): vendor IDs")
            #expect(idTypes == numbers("isakmp.id.type"), "\(where_): ID types")
            if !fragments.isEmpty {
                #expect(
                    fragments == numbers("isakmp.frag.number") + numbers("isakmp.frag.total"), "\(where_): SKF numbers")
            }
            counts.total += 1
            if !message.payloads.contains(where: { $0.type == 46 || $0.type == 53 }) { counts.unencrypted += 1 }
        }
        return counts
    }
}
