import SpiglassWire
import Testing

@testable import SpiglassAnalysis
@testable import SpiglassIKE

/// The words the reports give a CHILD_SA's traffic selectors, which the model keeps as values.
struct IKEDescribeTests {
    static func child(_ type: IKEExchangeType) -> ChildSARecord {
        ChildSARecord(
            ikeSAIndex: 0, createdBy: 1, createdByType: type, requestedByInitiator: true,
            requesterSPI: 1, responderSPI: 2, requester: IPAddress("192.0.2.1")!, responder: IPAddress("192.0.2.2")!)
    }

    @Test func ikev2SelectorsShowPrefixRangeAndPorts() {
        var child = Self.child(.v2(.ikeAuth))
        child.initiatorSelectors = [
            TrafficSelectorTests.ts("10.1.0.0", "10.1.0.255"),
            TrafficSelectorTests.ts("10.1.1.1", "10.1.1.9", proto: 6, ports: (80, 80)),
        ]
        child.responderSelectors = [TrafficSelectorTests.ts("fd00::", "fd00::ffff", proto: 17, ports: (0, 65535))]
        let selectors = IKEDescribe.trafficSelectors(child)
        #expect(selectors.initiator == ["10.1.0.0/24", "10.1.1.1-10.1.1.9[tcp/80]"])
        #expect(selectors.responder == ["fd00::/112[udp]"])
    }

    @Test func ikev1ClientIDsShowTheirAddressesOnlyWhenBothCame() {
        var child = Self.child(.v1(.quickMode))
        let subnet = IKEv1Identification(
            type: IKEv1Names.ID.ipv4Subnet, protocolID: 17, port: 1701, data: [10, 1, 0, 0, 255, 255, 255, 0])
        child.quickModeIdentities = [subnet]
        #expect(IKEDescribe.trafficSelectors(child).initiator.isEmpty)
        #expect(IKEDescribe.trafficSelectors(child).responder.isEmpty)
        child.quickModeIdentities.append(
            IKEv1Identification(type: IKEv1Names.ID.ipv4Address, protocolID: 0, port: 0, data: [10, 2, 0, 1]))
        let selectors = IKEDescribe.trafficSelectors(child)
        #expect(selectors.initiator == ["10.1.0.0/24"])
        #expect(selectors.responder == ["10.2.0.1"])
    }

    @Test func exchangeObservationsOnAMessageAreWordedByTheReporter() {
        #expect(
            IKEDescribe.problem(.otherAnswer(newResponderSPI: false))
                == "another answer to the request, not a retransmission (its bytes differ)")
        #expect(
            IKEDescribe.problem(.otherAnswer(newResponderSPI: true))
                == "another answer to the request with a new responder SPI, not a retransmission (its bytes differ)")
        #expect(IKEDescribe.problem(.retransmissionDiffers) == "retransmitted request differs from the first one")
        #expect(
            IKEDescribe.problem(.ivBeforeLastPhase1Message)
                == "IV from before the last phase-1 message: its sender had not accepted that message")
    }
}
