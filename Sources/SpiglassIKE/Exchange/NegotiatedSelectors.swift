import SpiglassSAD
import SpiglassWire

/// What the policy check holds an SA's decrypted packets to: the selectors of the CHILD_SA an
/// SPI belongs to, as they stand when an exchange settles its SPIs (nothing the check reads
/// changes after that). A value, so that the workers of a parallel run that do not follow
/// IKE get it, with the SPI, from the one that does.
public struct NegotiatedSelectors: Sendable {
    /// The CHILD_SA (index in `IKEReconstruction.children`).
    public let child: Int
    /// Its IKE SA (index in `IKEReconstruction.ikeSAs`).
    public let ikeSA: Int
    let protocolID: UInt8
    let requesterSPI: SPI?
    let responderSPI: SPI?
    let requester: IPAddress
    /// Requester → responder; nil when the exchange gave no address selectors.
    let forward: PolicySelector?
    /// Transport mode with a peer behind a NAT: the packets carry translated addresses where
    /// the selectors name the original ones (RFC 3948 3.1.2).
    let addressesTranslated: Bool

    /// The selectors the SA `sa` (one of this CHILD_SA's) is held to, in the direction its
    /// packets travel; nil when the CHILD_SA is of another protocol or gave no selectors.
    public func selector(for sa: ProtectingSA) -> PolicySelector? {
        guard protocolID == (sa.ipsecProtocol == .ah ? 2 : 3) || protocolID == 0, let forward else { return nil }
        var found: PolicySelector
        let spi = sa.spi
        if requesterSPI == spi && responderSPI == spi {
            // Both ends chose the same SPI: the direction comes from the addresses.
            found = sa.outerDestination == requester ? forward.reversed : forward
        } else if spi == responderSPI {
            found = forward
        } else if spi == requesterSPI {
            found = forward.reversed
        } else {
            return nil
        }
        if addressesTranslated {
            // Only the protocol and ports can be held to them.
            found = PolicySelector(
                sources: found.sources.map(Self.anyAddress), destinations: found.destinations.map(Self.anyAddress))
        }
        return found
    }

    private static func anyAddress(_ selector: TrafficSelector) -> TrafficSelector {
        var copy = selector
        copy.addresses = .all(ipv4: selector.addresses.isIPv4)
        return copy
    }
}

extension IKEReconstruction {
    /// CHILD_SA `index`'s selectors as the policy check reads them.
    public func negotiatedSelectors(child index: Int) -> NegotiatedSelectors {
        let child = children[index]
        let ikeSA = ikeSAs[child.ikeSAIndex]
        return NegotiatedSelectors(
            child: index, ikeSA: child.ikeSAIndex, protocolID: child.protocolID, requesterSPI: child.requesterSPI,
            responderSPI: child.responderSPI, requester: child.requester,
            forward: child.requesterToResponderSelector(ikeVersion: ikeSA.version),
            addressesTranslated: child.transportMode
                && (ikeSA.initiatorBehindNAT == true || ikeSA.responderBehindNAT == true))
    }
}
