import Glibc
import SpiglassAnalysis
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire

/// IKE reconstruction cost: captures with many IKEv2 SAs (IKE_SA_INIT, IKE_AUTH creating a
/// CHILD_SA, an INFORMATIONAL delete: six messages each, four encrypted), made with our own
/// SK sealing and then decoded by the normal pipeline with every key known, so each message
/// is decrypted, integrity-checked, paired and each CHILD_SA keyed from SK_d. Run at two sizes:
/// equal messages/s means the cost is linear in the number of messages.
enum IKEBench {
    static func run(sizes: [Int], directory: String) throws {
        print("IKE reconstruction (IKEv2, AES-CBC-128 + HMAC-SHA2-256-128, keys known, CHILD_SA keys derived):")
        for count in sizes {
            let path = directory + "/spiglass-bench-ike-\(count).pcap"
            defer { unlink(path) }
            let keys = try generate(path: path, ikeSAs: count)
            let start = Bench.now()
            var options = AnalysisOptions()
            options.quiet = true
            options.report = .ike
            let analyzer = try Analyzer(sad: SADatabase(), ikeKeys: keys, options: options, output: NullSink())
            let summary = analyzer.run(try CaptureReader(path: path))
            let seconds = Bench.now() - start
            let ike = analyzer.ike
            let decrypted = ike.decryptedCount - ike.integrityFailureCount
            let derived = ike.children.filter(\.keysDerived).count
            let rate = Double(summary.ikePackets) / seconds
            print(
                "  \(count) IKE SAs, \(summary.ikePackets) messages: \(Int(rate)) messages/s (\(fixed(seconds, 3)) s); \(decrypted) decrypted with integrity ok, \(derived) CHILD_SAs keyed from SK_d"
            )
            guard decrypted == count * 4, derived == count, ike.ikeSAs.allSatisfy({ $0.state == .deleted }) else {
                print("  FAILED: expected \(count * 4) decrypted messages and \(count) derived CHILD_SAs")
                exit(1)
            }
        }
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let fraction = String(scaled % Int(scale))
        return "\(scaled / Int(scale)).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
    }

    /// Writes the capture (raw IPv4/UDP) and returns the keys of every IKE SA.
    static func generate(path: String, ikeSAs count: Int) throws -> [IKESecurityAssociation] {
        let writer = try PcapWriter(path: path)
        var keys: [IKESecurityAssociation] = []
        var frame = 0
        for n in 0..<count {
            var sa = IKESecurityAssociation(
                version: .v2, initiatorSPI: UInt64(0x1000_0000_0000 + n), responderSPI: UInt64(0x2000_0000_0000 + n),
                origin: SAOrigin(file: "bench", line: n + 1))
            sa.encryption = .aesCBC(keyBits: 128)
            sa.integrity = .hmacSHA256_128
            sa.prf = .hmacSHA256
            sa.skD = SecretBytes(randomBytes(32))
            sa.skEi = SecretBytes(randomBytes(16))
            sa.skEr = SecretBytes(randomBytes(16))
            sa.skAi = SecretBytes(randomBytes(32))
            sa.skAr = SecretBytes(randomBytes(32))
            keys.append(sa)
            let protection = try IKEv2MessageProtection(sa: sa)
            let initiator: UInt32 = 0x0a00_0000 | UInt32(n % 65_000 + 1)
            let responder: UInt32 = 0xc0a8_0001
            func emit(_ message: [UInt8], fromInitiator: Bool) {
                frame += 1
                let packet = udpPacket(
                    message, source: fromInitiator ? initiator : responder,
                    destination: fromInitiator ? responder : initiator)
                writer.write(
                    packet, range: 0..<packet.count,
                    timestamp: Timestamp(
                        seconds: 1_700_000_000 + Int64(frame / 1000), microseconds: Int32(frame % 1000) * 1000))
            }
            func header(_ exchange: UInt8, messageID: UInt32, response: Bool, responderSPI: UInt64) -> [UInt8] {
                IKEv2MessageBuilder.header(
                    initiatorSPI: sa.initiatorSPI, responderSPI: responderSPI, exchange: exchange,
                    messageID: messageID, response: response, fromInitiator: !response)
            }
            func clear(_ h: [UInt8], payloads: [UInt8], first: UInt8) -> [UInt8] {
                IKEv2MessageBuilder.clear(h, firstPayload: first, payloads: payloads)
            }
            let payload = IKEv2MessageBuilder.payload
            let nonceI = payload(0, randomBytes(32))
            let nonceR = payload(0, randomBytes(32))
            emit(
                clear(header(34, messageID: 0, response: false, responderSPI: 0), payloads: nonceI, first: 40),
                fromInitiator: true)
            emit(
                clear(
                    header(34, messageID: 0, response: true, responderSPI: sa.responderSPI!), payloads: nonceR,
                    first: 40), fromInitiator: false)
            let auth = { (spi: UInt32, idType: UInt8) -> [UInt8] in
                payload(39, [2, 0, 0, 0] + Array("bench".utf8))  // ID (FQDN)
                    + payload(33, [2, 0, 0, 0] + randomBytes(32))  // AUTH (PSK)
                    + payload(44, IKEv2MessageBuilder.espProposal(spi: spi))  // SA
                    + payload(45, IKEv2MessageBuilder.trafficSelector(10))  // TSi
                    + payload(0, IKEv2MessageBuilder.trafficSelector(192))  // TSr
            }
            let authHeader = header(35, messageID: 1, response: false, responderSPI: sa.responderSPI!)
            emit(
                try protection.seal(
                    header: authHeader, firstPayloadType: 35, payloads: auth(UInt32(0x1000_0000 + n), 35),
                    sentByInitiator: true), fromInitiator: true)
            let authReply = header(35, messageID: 1, response: true, responderSPI: sa.responderSPI!)
            emit(
                try protection.seal(
                    header: authReply, firstPayloadType: 36, payloads: auth(UInt32(0x2000_0000 + n), 36),
                    sentByInitiator: false), fromInitiator: false)
            let delete = payload(0, [1, 0, 0, 0])
            emit(
                try protection.seal(
                    header: header(37, messageID: 2, response: false, responderSPI: sa.responderSPI!),
                    firstPayloadType: 42,
                    payloads: delete, sentByInitiator: true), fromInitiator: true)
            emit(
                try protection.seal(
                    header: header(37, messageID: 2, response: true, responderSPI: sa.responderSPI!),
                    firstPayloadType: 0,
                    payloads: [], sentByInitiator: false), fromInitiator: false)
        }
        try writer.close()
        return keys
    }

    /// IPv4 + UDP 500 around an IKE message.
    static func udpPacket(_ message: [UInt8], source: UInt32, destination: UInt32) -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: 28)
        packet.setIPv4Header(
            totalLength: 28 + message.count, protocolNumber: 17, source: source, destination: destination)
        packet.setBE16(20, 500)
        packet.setBE16(22, 500)
        packet.setBE16(24, UInt16(8 + message.count))
        return packet + message
    }
}
