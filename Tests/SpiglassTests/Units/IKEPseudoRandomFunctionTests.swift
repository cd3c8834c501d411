import Foundation
import SpiglassCapture
import SpiglassCrypto
import SpiglassIKE
import SpiglassSAD
import SpiglassWire
import Testing

/// The IKEv2 PRFs against their published vectors: RFC 2202 (HMAC-MD5, HMAC-SHA-1),
/// RFC 4231 (HMAC-SHA-2), RFC 4434 4 (AES-XCBC-PRF-128) and RFC 4615 4 (AES-CMAC-PRF-128);
/// prf+ against NIST CAVP's IKEv2 KDF vector (as carried in libreswan's
/// `ike_alg_test_prf.c`).
@Suite struct IKEPseudoRandomFunctionTests {
    struct Vector: CustomStringConvertible, Sendable {
        var source: String
        var prf: IKEPRF
        var key: [UInt8]
        var data: [UInt8]
        var output: String
        var description: String { "\(source) \(prf.name)" }
    }

    static let jefe = Array("Jefe".utf8)
    static let whatDoYaWant = Array("what do ya want for nothing?".utf8)
    static let hiThere = Array("Hi There".utf8)

    static let hmacVectors: [Vector] = [
        // RFC 2202 2, test cases 1 and 2 (HMAC-MD5).
        Vector(
            source: "RFC 2202 case 1", prf: .hmacMD5, key: [UInt8](repeating: 0x0b, count: 16), data: hiThere,
            output: "9294727a3638bb1c13f48ef8158bfc9d"),
        Vector(
            source: "RFC 2202 case 2", prf: .hmacMD5, key: jefe, data: whatDoYaWant,
            output: "750c783e6ab0b503eaa86e310a5db738"),
        // RFC 2202 3, test case 2 (HMAC-SHA-1).
        Vector(
            source: "RFC 2202 case 2", prf: .hmacSHA1, key: jefe, data: whatDoYaWant,
            output: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        // RFC 4231 4.2 and 4.3, test cases 1 and 2.
        Vector(
            source: "RFC 4231 case 1", prf: .hmacSHA256, key: [UInt8](repeating: 0x0b, count: 20), data: hiThere,
            output: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        Vector(
            source: "RFC 4231 case 1", prf: .hmacSHA384, key: [UInt8](repeating: 0x0b, count: 20), data: hiThere,
            output: "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"),
        Vector(
            source: "RFC 4231 case 2", prf: .hmacSHA256, key: jefe, data: whatDoYaWant,
            output: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        Vector(
            source: "RFC 4231 case 2", prf: .hmacSHA384, key: jefe, data: whatDoYaWant,
            output: "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"),
        Vector(
            source: "RFC 4231 case 2", prf: .hmacSHA512, key: jefe, data: whatDoYaWant,
            output:
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        ),
        // RFC 4231 4.7, test case 6: a 131-byte key, hashed first.
        Vector(
            source: "RFC 4231 case 6", prf: .hmacSHA256, key: [UInt8](repeating: 0xaa, count: 131),
            data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            output: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ]

    /// RFC 4434 4 and RFC 4615 4 share the message 0x00…0x13 and the 18-byte key
    /// 0x00…0x0f edcb, cut to 16 and 10 bytes for the other two cases.
    static let aesMessage = unhex("000102030405060708090a0b0c0d0e0f10111213")
    static let aesKey18 = unhex("000102030405060708090a0b0c0d0e0fedcb")

    static let aesVectors: [Vector] = [
        // RFC 4434 4 (AES-XCBC-PRF-128): 16-byte key (the RFC 3566 case), 10 (zero padded)
        // and 18 (reduced with AES-XCBC under a zero key).
        Vector(
            source: "RFC 4434 key 16", prf: .aesXCBC, key: Array(aesKey18[0..<16]), data: aesMessage,
            output: "47f51b4564966215b8985c63055ed308"),
        Vector(
            source: "RFC 4434 key 10", prf: .aesXCBC, key: Array(aesKey18[0..<10]), data: aesMessage,
            output: "0fa087af7d866e7653434e602fdde835"),
        Vector(
            source: "RFC 4434 key 18", prf: .aesXCBC, key: aesKey18, data: aesMessage,
            output: "8cd3c93ae598a9803006ffb67c40e9e4"),
        // RFC 4615 4 (AES-CMAC-PRF-128): keys of 18, 16 and 10 bytes; both odd lengths are
        // reduced with AES-CMAC under a zero key.
        Vector(
            source: "RFC 4615 key 18", prf: .aesCMAC, key: aesKey18, data: aesMessage,
            output: "84a348a4a45d235babfffc0d2b4da09a"),
        Vector(
            source: "RFC 4615 key 16", prf: .aesCMAC, key: Array(aesKey18[0..<16]), data: aesMessage,
            output: "980ae87b5f4c9c5214f5b6a8455e4c2d"),
        Vector(
            source: "RFC 4615 key 10", prf: .aesCMAC, key: Array(aesKey18[0..<10]), data: aesMessage,
            output: "290d9e112edb09ee141fcf64c0b72f3d"),
    ]

    @Test(arguments: hmacVectors + aesVectors)
    func publishedVector(_ vector: Vector) throws {
        let prf = try IKEPseudoRandomFunction(vector.prf, key: vector.key)
        #expect(prf.outputLength == vector.output.count / 2)
        #expect(hex(try prf.compute(vector.data)) == vector.output)
        // The contexts are reused: a second call gives the same output.
        #expect(hex(try prf.compute(vector.data)) == vector.output)
    }

    /// NIST CAVP IKEv2 KDF (HMAC-SHA-1), as libreswan's `ike_alg_test_prf.c` carries it:
    /// SKEYSEED = prf(Ni | Nr, g^ir), DKM = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) (RFC 7296
    /// 2.14), and the rekey SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) (2.18).
    @Test func prfPlusMatchesCAVPKeyDerivation() throws {
        let ni = unhex("32b50d5f4a3763f3")
        let nr = unhex("9206a04b26564cb1")
        let gir = unhex("4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52")
        let girNew = unhex("863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330")
        let spis = unhex("34c9e7c188868785") + unhex("3ff77d760d2b2199")
        let dkm =
            "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e514a062768b76606f9fa5e9"
            + "92204fc5a670bde3f10d6b027113936a5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd1119"
            + "8af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435a7a56cc4"
        let skeyseed = try IKEPseudoRandomFunction(.hmacSHA1, key: ni + nr).compute(gir)
        #expect(hex(skeyseed) == "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7")
        let prf = try IKEPseudoRandomFunction(.hmacSHA1, key: skeyseed)
        let keymat = try prf.prfPlus(seed: ni + nr + spis, length: 132)
        #expect(hex(keymat) == dkm)
        // Every shorter output is a prefix (the last block is cut, not recomputed).
        for length in [0, 1, 19, 20, 21, 100] {
            #expect(try prf.prfPlus(seed: ni + nr + spis, length: length) == Array(keymat[0..<length]))
        }
        let skD = Array(keymat[0..<20])
        let rekeyed = try IKEPseudoRandomFunction(.hmacSHA1, key: skD).compute(girNew + ni + nr)
        #expect(hex(rekeyed) == "63e81194946ebd05df7df5ebf5d8750056bf1f1d")
    }

    @Test(arguments: IKEPRF.allCases)
    func prfPlusStopsAt255Iterations(_ algorithm: IKEPRF) throws {
        let prf = try IKEPseudoRandomFunction(algorithm, key: [UInt8](repeating: 7, count: 16))
        let most = IKEPseudoRandomFunction.maxPRFPlusIterations * prf.outputLength
        let all = try prf.prfPlus(seed: [1, 2, 3], length: most)
        #expect(all.count == most)
        // T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02).
        let t1 = try prf.compute([1, 2, 3, 1])
        #expect(Array(all[0..<prf.outputLength]) == t1)
        #expect(Array(all[prf.outputLength..<(2 * prf.outputLength)]) == (try prf.compute(t1 + [1, 2, 3, 2])))
        do throws(IKEKeyDerivationError) {
            _ = try prf.prfPlus(seed: [], length: most + 1)
            Issue.record("prf+ beyond 255 blocks did not throw")
        } catch {
            #expect(error.code == .prfPlusTooLong)
        }
        do throws(IKEKeyDerivationError) {
            _ = try prf.prfPlus(seed: [], length: -1)
            Issue.record("negative prf+ length did not throw")
        } catch {
            #expect(error.code == .invalidLength)
        }
        #expect(try prf.prfPlus(seed: [], length: 0) == [])
        #expect(throws: IKEKeyDerivationError.self) { _ = try prf.prfPlus(seed: [], length: Int.max) }
    }
}
