import Foundation
import SpiglassAnalysis
import SpiglassCapture
import SpiglassIKE
import SpiglassWire
import Testing

@testable import SpiglassSAD

/// Key sets without SPIs are bound only to an IKE SA whose messages verify with them.
@Suite struct IKEKeyBindingTests {
    static let capture = Paths.fixture("strongswan-logs/ikev2/capture.pcap")

    static func run(_ ikeKeys: [IKESecurityAssociation]) throws -> (decrypted: Int, bound: [IKESecurityAssociation]) {
        let analyzer = try Analyzer(
            sad: SADatabase([]), ikeKeys: ikeKeys, options: AnalysisOptions(), output: StringSink())
        _ = analyzer.run(try CaptureReader(path: capture))
        return (analyzer.ike.decryptedCount, analyzer.ike.boundKeys)
    }

    @Test func onlyVerifiedMessagesBindKeys() throws {
        let keys = try Analyzer.loadKeySet([Paths.fixture("strongswan-logs/ikev2/B/charon.log")])
        let given = keys.ikeSAs.filter { $0.binding == .given }
        let unbound = keys.ikeSAs.filter { $0.binding != .given }
        #expect(given.count == 2 && unbound.count == 2)

        // All keys: both rekeyed IKE SAs are found, each by its own key set.
        let all = try Self.run(keys.ikeSAs)
        #expect(all.decrypted == 24)
        #expect(all.bound.count == 2)
        #expect(Set(all.bound.map(\.initiatorSPI)).count == 2)
        #expect(all.bound.allSatisfy { $0.responderSPI != nil && $0.initiatorSPI != 0 })

        // Without the unbound sets, their IKE SAs stay closed.
        let givenOnly = try Self.run(given)
        #expect(givenOnly.bound.isEmpty)
        #expect(givenOnly.decrypted < all.decrypted)

        // Wrong integrity keys: the encryption keys alone prove nothing, nothing is bound.
        var wrongIntegrity = unbound
        for i in wrongIntegrity.indices {
            wrongIntegrity[i].skAi = wrongIntegrity[i].skAi.map { $0 ^ 1 }
            wrongIntegrity[i].skAr = wrongIntegrity[i].skAr.map { $0 ^ 1 }
        }
        let spoiled = try Self.run(given + wrongIntegrity)
        #expect(spoiled.bound.isEmpty)
        #expect(spoiled.decrypted == givenOnly.decrypted)

        // One side's integrity key right is enough: a message from that side verifies.
        var halfRight = unbound
        for i in halfRight.indices { halfRight[i].skAi = halfRight[i].skAi.map { $0 ^ 1 } }
        #expect(try Self.run(given + halfRight).bound.count == 2)

        // No integrity keys at all (a CBC cipher): never bound by decryption alone.
        var noIntegrity = unbound
        for i in noIntegrity.indices {
            noIntegrity[i].skAi = SecretBytes()
            noIntegrity[i].skAr = SecretBytes()
        }
        #expect(try Self.run(given + noIntegrity).bound.isEmpty)
    }
}
