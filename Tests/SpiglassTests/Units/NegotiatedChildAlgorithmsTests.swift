import SpiglassIKE
import Testing

@testable import SpiglassSAD

/// RFC 8750 ENCR_AES_CCM_8_IIV (IANA 29) negotiated in IKEv2 keys a CHILD_SA like the other
/// implicit-IV transforms: RFC 4309's key plus 3-byte salt, an 8-byte ICV, no IV on the wire.
@Suite struct NegotiatedChildAlgorithmsTests {
    @Test func theIKEv2TransformMapsToIt() {
        for (bits, keyLength) in [(UInt16(128), 19), (192, 27), (256, 35)] {
            let algorithms = NegotiatedChildAlgorithms(transforms: [
                (type: 1, id: 29, keyBits: bits), (type: 5, id: 0, keyBits: nil),
            ])
            #expect(algorithms.encryption == .aesCCMImplicitIV(icvLength: 8))
            #expect(algorithms.encryptionKeyLength == keyLength)
            #expect(algorithms.unsupported.isEmpty)
        }
        let sa = SecurityAssociation(
            spi: 7, encryption: .aesCCMImplicitIV(icvLength: 8), encryptionKey: [UInt8](repeating: 3, count: 19))
        #expect(sa.encryption.ivLength == 0 && sa.icvLength == 8 && sa.encryption.saltLength == 3)
        #expect(sa.algorithmDescription == "aes-ccm-128-8-iiv")
    }
}
