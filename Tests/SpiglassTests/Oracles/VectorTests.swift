import Foundation
import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import SpiglassWire
import Testing

/// One `[name]` block of a `Fixtures/vectors/*.txt` file (format: Fixtures/vectors/README.md).
struct TestVector: CustomStringConvertible {
    var name: String
    var line: Int
    var fields: [String: String]

    var description: String { "[\(name)] (line \(line))" }

    subscript(_ key: String) -> String? { fields[key] }

    /// A hex field, required, lowercase even-length hex as the README demands.
    func bytes(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        let text = try #require(fields[key], "\(self): missing key \(key)", sourceLocation: sourceLocation)
        let isHex =
            text.count % 2 == 0 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        try #require(isHex, "\(self): \(key) is not lowercase even-length hex", sourceLocation: sourceLocation)
        return try #require(Hex.decode(text), "\(self): \(key) does not decode", sourceLocation: sourceLocation)
    }

    func int(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let text = try #require(fields[key], "\(self): missing key \(key)", sourceLocation: sourceLocation)
        return try #require(Int(text), "\(self): \(key) = \(text) is not decimal", sourceLocation: sourceLocation)
    }

    func uint32(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> UInt32 {
        let b = try bytes(key, sourceLocation: sourceLocation)
        try #require(b.count == 4, "\(self): \(key) must be 4 bytes", sourceLocation: sourceLocation)
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }
}

enum VectorFile {
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// The README's grammar: blank lines end a block, `#` lines are comments, `[name]` opens
    /// a block, everything else is `key = value` split at the first `=`; keys unique per block.
    static func parse(_ text: String, file: String) throws -> [TestVector] {
        var blocks: [TestVector] = []
        var open = false
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            let lineNumber = index + 1
            if line.isEmpty {
                open = false
                continue
            }
            if line.hasPrefix("#") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                blocks.append(TestVector(name: String(line.dropFirst().dropLast()), line: lineNumber, fields: [:]))
                open = true
                continue
            }
            guard open, let eq = line.firstIndex(of: "=") else {
                throw ParseError(description: "\(file):\(lineNumber): unexpected line \(line)")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard blocks[blocks.count - 1].fields[key] == nil else {
                throw ParseError(description: "\(file):\(lineNumber): duplicate key \(key)")
            }
            blocks[blocks.count - 1].fields[key] = value
        }
        return blocks
    }

    /// Block count found without the parser: lines that are `[…]` headers.
    static func headerCount(_ text: String) -> Int {
        text.split(separator: "\n", omittingEmptySubsequences: false).filter {
            let line = $0.trimmingCharacters(in: .whitespacesAndNewlines)
            return line.hasPrefix("[") && line.hasSuffix("]")
        }.count
    }
}

/// Every published vector in Fixtures/vectors, run through Spiglass's own code.
@Suite struct VectorTests {
    /// File name and the number of vectors the README's table says it holds.
    static let files: [(String, Int)] = [
        ("esp-rfc3602.txt", 8),
        ("esp-rfc7634.txt", 1),
        ("esp-gcm.txt", 17),
        ("cipher-rfc3686.txt", 9),
        ("hmac-rfc4231.txt", 21),
        ("hmac-rfc2202.txt", 14),
        ("mac-rfc3566.txt", 7),
        ("mac-rfc4493.txt", 4),
    ]

    /// Vectors deliberately not run, with the reason (must be listed here by name).
    static let knownSkips: [String: String] = [:]

    @Test func everyVectorFileIsListed() throws {
        let dir = Paths.fixture("vectors")
        let present = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".txt") }.sorted()
        #expect(present == Self.files.map(\.0).sorted())
    }

    @Test(arguments: files.map(\.0))
    func vectorFile(_ name: String) throws {
        let path = Paths.fixture("vectors/" + name)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let vectors = try VectorFile.parse(text, file: name)
        let headers = VectorFile.headerCount(text)
        let published = try #require(Self.files.first { $0.0 == name }?.1)
        #expect(vectors.count == headers, "parser found \(vectors.count) blocks, file has \(headers) headers")
        #expect(headers == published, "README says \(published) vectors in \(name)")

        var checked = 0
        var skipped: [String] = []
        for vector in vectors {
            #expect(vector["source"] != nil, "\(vector): no source")
            if let reason = Self.knownSkips[vector.name] {
                skipped.append(vector.name)
                _ = reason
                continue
            }
            if vector["enc"] != nil {
                try checkESP(vector)
            } else {
                try checkRaw(vector)
            }
            checked += 1
        }
        #expect(
            checked + skipped.count == headers, "\(name): checked \(checked) + skipped \(skipped.count) of \(headers)")
        #expect(Set(skipped).isSubset(of: Set(Self.knownSkips.keys)))
        // Every GCM case runs, the RFC 4543 AES-GMAC one (case 15) included.
        if name == "esp-gcm.txt" { #expect(skipped.isEmpty && checked == 17) }
    }

    // MARK: raw cipher and MAC vectors

    func checkRaw(_ v: TestVector) throws {
        let mode = try #require(v["mode"], "\(v): no mode")
        switch mode {
        case "raw-cbc":
            let key = try v.bytes("key")
            let iv = try v.bytes("iv")
            let pt = try v.bytes("plaintext")
            let ct = try v.bytes("ciphertext")
            let enc = try CipherContext(.aesCBC(keyBytes: key.count), key: key, encrypt: true)
            var out = [UInt8](repeating: 0, count: pt.count)
            #expect(
                try enc.run(
                    iv: iv, ivRange: 0..<iv.count, input: pt, inputRange: 0..<pt.count, output: &out, outputOffset: 0)
                    == pt.count)
            #expect(out == ct, "\(v): AES-CBC encryption")
            let dec = try CipherContext(.aesCBC(keyBytes: key.count), key: key)
            out = [UInt8](repeating: 0, count: ct.count)
            #expect(
                try dec.run(
                    iv: iv, ivRange: 0..<iv.count, input: ct, inputRange: 0..<ct.count, output: &out, outputOffset: 0)
                    == ct.count)
            #expect(out == pt, "\(v): AES-CBC decryption")
        case "raw-ctr":
            let key = try v.bytes("key")
            let nonce = try v.bytes("nonce")
            let iv = try v.bytes("iv")
            let pt = try v.bytes("plaintext")
            let ct = try v.bytes("ciphertext")
            try #require(nonce.count == 4 && iv.count == 8, "\(v): nonce 4 and iv 8 bytes")
            let block = nonce + iv + [0, 0, 0, 1]
            for encrypt in [true, false] {
                let context = try CipherContext(.aesCTR(keyBytes: key.count), key: key, encrypt: encrypt)
                let input = encrypt ? pt : ct
                var out = [UInt8](repeating: 0, count: input.count)
                #expect(
                    try context.run(
                        iv: block, ivRange: 0..<16, input: input, inputRange: 0..<input.count, output: &out,
                        outputOffset: 0) == input.count)
                #expect(out == (encrypt ? ct : pt), "\(v): AES-CTR \(encrypt ? "encryption" : "decryption")")
            }
        case "hmac-md5", "hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512":
            let hash: HashFunction =
                switch mode {
                case "hmac-md5": .md5
                case "hmac-sha1": .sha1
                case "hmac-sha256": .sha256
                case "hmac-sha384": .sha384
                default: .sha512
                }
            let key = try v.bytes("key")
            let data = try v.bytes("data")
            let mac = try v.bytes("mac")
            let context = try HMACContext(hash, key: key)
            let length: Int
            if v["truncated"] != nil {
                length = try v.int("truncated")
                #expect(mac.count == length, "\(v): mac is not the truncated length")
            } else {
                length = hash.digestLength
                #expect(mac.count == hash.digestLength, "\(v): mac is not full length")
            }
            var out = [UInt8](repeating: 0, count: length)
            try context.compute(data: data, range: 0..<data.count, truncatedTo: length, output: &out, outputOffset: 0)
            #expect(out == mac, "\(v): \(mode) compute (\(length) bytes)")
            #expect(
                try context.verify(data: data, range: 0..<data.count, expected: mac, expectedRange: 0..<mac.count),
                "\(v): verify")
            // Every truncation the ESP transforms use (and 1 byte) verifies against a prefix.
            for n in [1, 12, 16, 24, 32] where n <= length {
                var prefix = [UInt8](repeating: 0, count: n)
                try context.compute(data: data, range: 0..<data.count, truncatedTo: n, output: &prefix, outputOffset: 0)
                #expect(prefix == Array(mac[0..<n]), "\(v): truncated to \(n)")
                #expect(try context.verify(data: data, range: 0..<data.count, expected: mac, expectedRange: 0..<n))
            }
            // A wrong MAC does not verify.
            var wrong = mac
            wrong[wrong.count - 1] ^= 0x01
            #expect(
                try !context.verify(data: data, range: 0..<data.count, expected: wrong, expectedRange: 0..<wrong.count),
                "\(v): wrong mac verified")
            // The data split between `data` and `trailer` (how ESN high bits are appended)
            // gives the same MAC.
            if data.count >= 4 {
                let split = data.count - 4
                var joined = [UInt8](repeating: 0, count: length)
                try context.compute(
                    data: data, range: 0..<split, trailer: data, trailerRange: split..<data.count,
                    truncatedTo: length, output: &joined, outputOffset: 0)
                #expect(joined == mac, "\(v): data + trailer")
            }
            if v["mac-96"] != nil {
                let mac96 = try v.bytes("mac-96")
                #expect(mac96.count == 12)
                var icv = [UInt8](repeating: 0, count: 12)
                try context.compute(data: data, range: 0..<data.count, truncatedTo: 12, output: &icv, outputOffset: 0)
                #expect(icv == mac96, "\(v): 96-bit truncation")
                #expect(try context.verify(data: data, range: 0..<data.count, expected: mac96, expectedRange: 0..<12))
            }
        case "aes-xcbc-mac", "aes-cmac":
            let key = try v.bytes("key")
            let data = try v.bytes("data")
            let mac = try v.bytes("mac")
            let mac96 = try v.bytes("mac-96")
            #expect(
                mac.count == 16 && mac96.count == 12 && Array(mac[0..<12]) == mac96,
                "\(v): mac-96 is mac's first 12 bytes")
            // Both wrappers have the same shape; run them through one closure each.
            let compute: ([UInt8], Range<Int>, [UInt8], Range<Int>, Int) throws -> [UInt8]
            let verify: ([UInt8], Range<Int>, [UInt8], Range<Int>, [UInt8], Range<Int>) throws -> Bool
            if mode == "aes-xcbc-mac" {
                let context = try XCBCContext(key: key)
                compute = { d, r, t, tr, n in
                    var out = [UInt8](repeating: 0, count: n)
                    try context.compute(
                        data: d, range: r, trailer: t, trailerRange: tr, truncatedTo: n, output: &out, outputOffset: 0)
                    return out
                }
                verify = {
                    try context.verify(
                        data: $0, range: $1, trailer: $2, trailerRange: $3, expected: $4, expectedRange: $5)
                }
            } else {
                let context = try CMACContext(key: key)
                compute = { d, r, t, tr, n in
                    var out = [UInt8](repeating: 0, count: n)
                    try context.compute(
                        data: d, range: r, trailer: t, trailerRange: tr, truncatedTo: n, output: &out, outputOffset: 0)
                    return out
                }
                verify = {
                    try context.verify(
                        data: $0, range: $1, trailer: $2, trailerRange: $3, expected: $4, expectedRange: $5)
                }
            }
            // Twice on the same context: the per-SA context must reset between messages.
            for _ in 0..<2 {
                #expect(try compute(data, 0..<data.count, [], 0..<0, 16) == mac, "\(v): \(mode)")
                #expect(try compute(data, 0..<data.count, [], 0..<0, 12) == mac96, "\(v): \(mode)-96")
                #expect(try verify(data, 0..<data.count, [], 0..<0, mac96, 0..<12), "\(v): verify 96")
                #expect(try verify(data, 0..<data.count, [], 0..<0, mac, 0..<16), "\(v): verify 128")
            }
            // Every split of the message between data and trailer (how ESP appends the ESN
            // high bits) gives the same MAC; so does the message at an offset in a bigger buffer.
            for split in Set([0, 1, 4, 15, 16, 17, data.count / 2, max(data.count - 4, 0), data.count])
            where split <= data.count {
                #expect(try compute(data, 0..<split, data, split..<data.count, 16) == mac, "\(v): split at \(split)")
            }
            let framed = [UInt8](repeating: 0xAA, count: 7) + data + [0x55]
            #expect(try compute(framed, 7..<(7 + data.count), [], 0..<0, 16) == mac, "\(v): at an offset")
            var wrong = mac96
            wrong[11] ^= 0x01
            #expect(try !verify(data, 0..<data.count, [], 0..<0, wrong, 0..<12), "\(v): wrong MAC verified")
            #expect(try !verify(data, 0..<data.count, [], 0..<0, mac96, 0..<0), "\(v): empty MAC verified")
            if !data.isEmpty {
                var changed = data
                changed[changed.count - 1] ^= 0x80
                #expect(
                    try !verify(changed, 0..<changed.count, [], 0..<0, mac96, 0..<12), "\(v): changed data verified")
            }
        default:
            Issue.record("\(v): unknown mode \(mode)")
        }
    }

    // MARK: whole ESP packets

    static func encryption(_ name: String) -> EncryptionAlgorithm? {
        switch name {
        case "null": return .null
        case "aes-cbc": return .aesCBC
        case "3des-cbc": return .tripleDESCBC
        case "aes-ctr": return .aesCTR
        case "aes-gcm-16": return .aesGCM(icvLength: 16)
        case "aes-gcm-12": return .aesGCM(icvLength: 12)
        case "aes-gcm-8": return .aesGCM(icvLength: 8)
        case "chacha20-poly1305": return .chaCha20Poly1305
        case "aes-gmac": return .aesNullGMAC
        default: return nil
        }
    }

    static func integrity(_ name: String) -> IntegrityAlgorithm? {
        switch name {
        case "null": return .null
        case "hmac-md5-96": return .hmacMD5_96
        case "hmac-sha1-96": return .hmacSHA1_96
        case "hmac-sha2-256-128": return .hmacSHA256_128
        case "hmac-sha2-384-192": return .hmacSHA384_192
        case "hmac-sha2-512-256": return .hmacSHA512_256
        default: return nil
        }
    }

    func checkESP(_ v: TestVector) throws {
        let enc = try #require(Self.encryption(v["enc"]!), "\(v): enc \(v["enc"]!) unknown")
        let auth = try #require(Self.integrity(v["auth"] ?? "null"), "\(v): auth unknown")
        let esn = v["esn"] == "yes"
        #expect(esn == (v["seq-hi"] != nil), "\(v): esn / seq-hi inconsistent")
        let seqHigh = esn ? try v.uint32("seq-hi") : 0
        let spi = SPI(try v.uint32("spi"))
        let sequence = try v.uint32("seq")
        let sa = SecurityAssociation(
            spi: spi, encryption: enc, encryptionKey: enc == .null ? [] : try v.bytes("enc-key"),
            integrity: auth, integrityKey: auth == .null ? [] : try v.bytes("auth-key"),
            extendedSequenceNumbers: esn, initialSequenceHigh: seqHigh)
        #expect(enc.validKeyLengths.contains(sa.encryptionKey.count), "\(v): key length")

        // The bytes on the wire and where ESP sits in them.
        let wire: [UInt8]
        let espRange: Range<Int>
        if v["packet"] != nil {
            #expect(v["esp"] == nil, "\(v): both packet and esp")
            wire = try v.bytes("packet")
            var reader = ByteReader(wire)
            let ip = try IPLayer.parse(&reader).get()
            #expect(ip.version == 4)
            #expect(ip.protocolNumber == IPProtocol.esp, "\(v): outer protocol")
            #expect(!ip.truncated && ip.end == wire.count, "\(v): outer total length")
            espRange = ip.payloadRange
        } else {
            wire = try v.bytes("esp")
            espRange = 0..<wire.count
        }
        var espReader = ByteReader(wire, range: espRange)
        let header = try ESPHeader.parse(&espReader).get()
        #expect(header.spi == spi && header.sequence == sequence, "\(v): SPI / sequence on the wire")
        let ivStart = espRange.lowerBound + 8
        if v["iv"] != nil {
            #expect(Array(wire[ivStart..<(ivStart + enc.ivLength)]) == (try v.bytes("iv")), "\(v): IV position")
        }
        let icvStart = espRange.upperBound - sa.icvLength
        if v["icv"] != nil {
            #expect(Array(wire[icvStart..<espRange.upperBound]) == (try v.bytes("icv")), "\(v): ICV position")
        }
        if v["ciphertext"] != nil {
            #expect(
                Array(wire[(ivStart + enc.ivLength)..<icvStart]) == (try v.bytes("ciphertext")),
                "\(v): ciphertext position")
        }

        let state = try ESPCryptoState(sa: sa)
        var output = [UInt8](repeating: 0xEE, count: espRange.count)
        let result = ESPDecryptor.decrypt(wire, esp: espRange, state: state, sequenceHigh: seqHigh, output: &output)
        #expect(result.verdict == .decrypted, "\(v): \(result.detail ?? "")")
        let authenticated = enc.isAEAD || auth.verifies
        #expect(result.icv == (authenticated ? .good : .none), "\(v): ICV status \(result.icv)")
        let plaintext = try v.bytes("plaintext")
        #expect(result.payloadLength == plaintext.count, "\(v): payload length")
        #expect(Array(output[0..<min(result.payloadLength, output.count)]) == plaintext, "\(v): released plaintext")
        #expect(Int(result.nextHeader) == (try v.int("next-header")), "\(v): next header")
        if v["pad-length"] != nil { #expect(result.padLength == (try v.int("pad-length")), "\(v): pad length") }
        if v["decrypted"] != nil {
            let decrypted = try v.bytes("decrypted")
            let cipherCount = icvStart - ivStart - enc.ivLength
            #expect(decrypted.count == cipherCount)
            #expect(Array(output[0..<min(cipherCount, output.count)]) == decrypted, "\(v): whole decrypted payload")
        }

        // The same packet copied to the start of a fresh array decrypts the same way.
        let espOnly = Array(wire[espRange])
        var output2 = [UInt8](repeating: 0, count: espOnly.count)
        let again = ESPDecryptor.decrypt(
            espOnly, esp: 0..<espOnly.count, state: state, sequenceHigh: seqHigh, output: &output2)
        #expect(again == result, "\(v): same packet at offset 0")

        guard authenticated else { return }
        // Published ICV corrupted: nothing released.
        var corrupt = wire
        corrupt[espRange.upperBound - 1] ^= 0x80
        let bad = ESPDecryptor.decrypt(corrupt, esp: espRange, state: state, sequenceHigh: seqHigh, output: &output)
        #expect(
            bad.verdict == .icvFailed && bad.icv == .failed && bad.payloadLength == 0,
            "\(v): corrupted ICV gave \(bad.verdict)")
        if esn {
            // The high half is in the AAD/ICV only: a wrong guess must not verify.
            for wrongHigh in [seqHigh &+ 1, seqHigh &- 1, 0] where wrongHigh != seqHigh {
                let wrong = ESPDecryptor.decrypt(
                    wire, esp: espRange, state: state, sequenceHigh: wrongHigh, output: &output)
                #expect(wrong.verdict == .icvFailed, "\(v): ESN high \(wrongHigh) gave \(wrong.verdict)")
            }
        } else {
            // Without ESN the high bits passed in must be ignored.
            let ignored = ESPDecryptor.decrypt(
                wire, esp: espRange, state: state, sequenceHigh: 0x1234_5678, output: &output)
            #expect(ignored.verdict == .decrypted, "\(v): sequenceHigh used without ESN")
        }
        // The state is still good after the failures.
        let last = ESPDecryptor.decrypt(wire, esp: espRange, state: state, sequenceHigh: seqHigh, output: &output)
        #expect(last == result)
    }
}
