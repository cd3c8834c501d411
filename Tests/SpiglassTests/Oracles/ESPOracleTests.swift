import Foundation
import SpiglassCrypto
import SpiglassESP
import SpiglassSAD
import SpiglassWire
import Testing

/// The transforms with no published ESP test vectors (AES-CCM, RFC 8750 implicit IV, DES,
/// Blowfish, CAST5, and AES-XCBC-MAC-96 / AES-CMAC-96 as ESP ICVs) checked against an
/// independent implementation: python3's `cryptography` builds each ESP packet from the spec
/// (its own nonce, AAD and ICV layout, and a Python AES-XCBC-MAC from AES-ECB), and Spiglass
/// must produce the same bytes and decrypt Python's packet. AES-GMAC is checked here as well
/// as against draft-mcgrew-gcm-test-01 case 15 (VectorTests).
@Suite(.enabled(if: PythonOracle.usable, "python3 with the cryptography package is not available"))
struct ESPOracleTests {
    /// Runs `python3 -c script` with `input` on stdin; returns stdout, throws on a failure exit.
    static func python(script: String, input: String) throws -> String {
        try PythonOracle.run(script: script, input: input)
    }

    /// One input line: enc key auth auth-key spi seq64 esn iv plaintext (hex, '-' for empty).
    /// Output: the ESP packet in hex.
    static let script = #"""
        import sys, struct
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
        from cryptography.hazmat.primitives.cmac import CMAC
        from cryptography.hazmat.primitives import hashes, hmac
        import cryptography.hazmat.decrepit.ciphers.algorithms as old

        def xcbc(k, m):
            def E(key, b):
                e = Cipher(algorithms.AES(key), modes.ECB()).encryptor(); return e.update(b) + e.finalize()
            k1, k2, k3 = (E(k, bytes([i]) * 16) for i in (1, 2, 3))
            blocks = [m[i:i + 16] for i in range(0, len(m), 16)] or [b'']
            e = bytes(16)
            for b in blocks[:-1]:
                e = E(k1, bytes(x ^ y for x, y in zip(e, b)))
            last = blocks[-1]
            if len(last) == 16:
                return E(k1, bytes(x ^ y ^ z for x, y, z in zip(e, last, k2)))
            p = last + b'\x80' + bytes(15 - len(last))
            return E(k1, bytes(x ^ y ^ z for x, y, z in zip(e, p, k3)))

        h = lambda s: b'' if s == '-' else bytes.fromhex(s)
        for line in sys.stdin.read().splitlines():  # all input first: no pipe deadlock
            enc, key, auth, akey, spi, seq, esn, iv, pt = line.split()
            key, akey, iv, pt = h(key), h(akey), h(iv), h(pt)
            spi, seq, esn = int(spi, 16), int(seq, 16), esn == 'yes'
            hi, lo = struct.pack('>I', seq >> 32), struct.pack('>I', seq & 0xffffffff)
            header = struct.pack('>I', spi) + lo
            aad = struct.pack('>I', spi) + (hi if esn else b'') + lo        # RFC 4106/4309/4543/7634
            seq_iv = (hi if esn else bytes(4)) + lo                          # RFC 8750 section 3
            if enc in ('des-cbc', 'blowfish-cbc', 'cast5-cbc'):
                alg = {'des-cbc': old.TripleDES, 'blowfish-cbc': old.Blowfish, 'cast5-cbc': old.CAST5}[enc](key)
                e = Cipher(alg, modes.CBC(iv)).encryptor()
                packet = header + iv + e.update(pt) + e.finalize()
            elif enc == 'aes-ccm-8-iiv':
                # RFC 8750 sections 3 and 4: RFC 4309's 11-byte nonce is the 3-byte salt and the
                # 64-bit sequence number (zeros above a 32-bit one); the AAD is unchanged.
                packet = header + AESCCM(key[:-3], tag_length=8).encrypt(key[-3:] + seq_iv, pt, aad)
            elif enc.startswith('aes-ccm-'):
                packet = header + iv + AESCCM(key[:-3], tag_length=int(enc[8:])).encrypt(key[-3:] + iv, pt, aad)
            elif enc == 'aes-gcm-16-iiv':
                packet = header + AESGCM(key[:-4]).encrypt(key[-4:] + seq_iv, pt, aad)
            elif enc == 'chacha20-poly1305-iiv':
                packet = header + ChaCha20Poly1305(key[:-4]).encrypt(key[-4:] + seq_iv, pt, aad)
            elif enc == 'aes-gmac':
                packet = header + iv + pt + AESGCM(key[:-4]).encrypt(key[-4:] + iv, b'', aad + iv + pt)
            else:
                raise SystemExit('unknown enc ' + enc)
            message = packet + (hi if esn else b'')                          # RFC 4303 2.2.1
            if auth == 'aes-xcbc-96':
                packet += xcbc(akey, message)[:12]
            elif auth == 'aes-cmac-96':
                c = CMAC(algorithms.AES(akey)); c.update(message); packet += c.finalize()[:12]
            elif auth == 'hmac-sha1-96':
                m = hmac.HMAC(akey, hashes.SHA1()); m.update(message); packet += m.finalize()[:12]
            elif auth != 'null':
                raise SystemExit('unknown auth ' + auth)
            print(packet.hex())
        """#

    static let combinations: [ESPCombination] = [
        ESPCombination(encryption: .desCBC, keyLength: 8, integrity: .hmacSHA1_96),
        ESPCombination(encryption: .blowfishCBC, keyLength: 16, integrity: .aesXCBC_96),
        ESPCombination(encryption: .blowfishCBC, keyLength: 5, integrity: .null),
        ESPCombination(encryption: .blowfishCBC, keyLength: 56, integrity: .aesCMAC_96),
        ESPCombination(encryption: .cast5CBC, keyLength: 16, integrity: .aesCMAC_96),
        ESPCombination(encryption: .cast5CBC, keyLength: 5, integrity: .aesXCBC_96),
        ESPCombination(encryption: .cast5CBC, keyLength: 10, integrity: .null),
        ESPCombination(encryption: .aesCCM(icvLength: 8), keyLength: 19, integrity: .null),
        ESPCombination(encryption: .aesCCM(icvLength: 12), keyLength: 27, integrity: .null),
        ESPCombination(encryption: .aesCCM(icvLength: 16), keyLength: 35, integrity: .null),
        ESPCombination(encryption: .aesNullGMAC, keyLength: 20, integrity: .null),
        ESPCombination(encryption: .aesNullGMAC, keyLength: 36, integrity: .null),
        ESPCombination(encryption: .aesGCMImplicitIV(icvLength: 16), keyLength: 20, integrity: .null),
        ESPCombination(encryption: .aesGCMImplicitIV(icvLength: 16), keyLength: 28, integrity: .null),
        ESPCombination(encryption: .chaCha20Poly1305ImplicitIV, keyLength: 36, integrity: .null),
        ESPCombination(encryption: .aesCCMImplicitIV(icvLength: 8), keyLength: 19, integrity: .null),
        ESPCombination(encryption: .aesCCMImplicitIV(icvLength: 8), keyLength: 35, integrity: .null),
    ]

    @Test func packetsMatchAnIndependentImplementation() throws {
        struct Case {
            var combination: ESPCombination
            var sa: SecurityAssociation
            var sequence: UInt64
            var iv: [UInt8]
            var payload: [UInt8]
        }
        var cases: [Case] = []
        for c in Self.combinations {
            for esn in [false, true] {
                for (n, sequence) in [UInt64(1), 0x0000_0002_ffff_fffe, 0x1234_5678_9abc_def0].enumerated()
                where esn || sequence <= 0xffff_ffff {
                    for size in [0, 1, 17, 64, 333] {
                        let iv = (0..<c.encryption.ivLength).map { UInt8(truncatingIfNeeded: $0 * 29 + n + size) }
                        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7 + n) }
                        cases.append(
                            Case(
                                combination: c, sa: c.sa(spi: SPI(0x1000 + UInt32(n)), esn: esn), sequence: sequence,
                                iv: iv,
                                payload: payload))
                    }
                }
            }
        }
        #expect(cases.count == Self.combinations.count * 4 * 5)
        var lines = ""
        var built: [[UInt8]] = []
        for k in cases {
            let packet = try ESPPacketBuilder(sa: k.sa).build(
                spi: k.sa.spi!, sequence: k.sequence, payload: k.payload, nextHeader: 4, iv: k.iv)
            built.append(packet)
            // The plaintext with its trailer, exactly as the builder padded it.
            let block = max(k.sa.encryption.blockSize, 4)
            let padLength = (block - (k.payload.count + 2) % block) % block
            let plain = k.payload + (0..<padLength).map { UInt8($0 + 1) } + [UInt8(padLength), 4]
            func hx(_ b: some Collection<UInt8>) -> String { b.isEmpty ? "-" : Hex.encode(b) }
            lines +=
                [
                    k.combination.encryption.name, hx(k.sa.encryptionKey), k.sa.integrity.name, hx(k.sa.integrityKey),
                    String(k.sa.spi!.rawValue, radix: 16), String(k.sequence, radix: 16),
                    k.sa.extendedSequenceNumbers ? "yes" : "no",
                    hx(k.iv), hx(plain),
                ].joined(separator: " ") + "\n"
        }
        let output = try Self.python(script: Self.script, input: lines).split(separator: "\n").map(String.init)
        try #require(output.count == cases.count)
        for (i, k) in cases.enumerated() {
            let theirs = try #require(Hex.decode(output[i]))
            let label =
                "\(k.combination) esn=\(k.sa.extendedSequenceNumbers) seq=\(String(k.sequence, radix: 16)) size=\(k.payload.count)"
            #expect(built[i] == theirs, "\(label): builder differs from python")
            let state = try ESPCryptoState(sa: k.sa)
            var out = [UInt8](repeating: 0, count: theirs.count)
            let result = ESPDecryptor.decrypt(
                theirs, esp: 0..<theirs.count, state: state,
                sequenceHigh: UInt32(truncatingIfNeeded: k.sequence >> 32), output: &out)
            #expect(result.verdict == .decrypted, "\(label): \(result.detail ?? "")")
            #expect(result.icv == (k.combination.authenticated ? .good : .none), "\(label)")
            #expect(Array(out[0..<min(result.payloadLength, out.count)]) == k.payload, "\(label): plaintext")
        }
    }
}
