import SpiglassIKE
import SpiglassWire

extension IKERefusal {
    /// An IKEv2 CHILD_SA's story beside its line: for a refused one, what its request offered
    /// and proposed and which side rejected what; for an established one, the traffic
    /// selectors its request proposed when the response narrowed them. Nil when there is
    /// nothing to add (IKEv1, an exchange not decrypted, selectors taken as proposed).
    static func child(_ index: Int, in story: IKEReconstruction) -> IKERefusal? {
        guard story.children.indices.contains(index) else { return nil }
        let child = story.children[index]
        guard story.ikeSAs.indices.contains(child.ikeSAIndex) else { return nil }
        let sa = story.ikeSAs[child.ikeSAIndex]
        guard sa.version == .v2, sa.exchanges.indices.contains(child.createdBy) else { return nil }
        let exchange = sa.exchanges[child.createdBy]
        guard let request = exchange.request.flatMap({ story.message($0) }), request.decryption != .noKeys
        else { return nil }
        var refusal = IKERefusal()
        let proposed = request.v2TrafficSelectors
        if child.established {
            guard let proposed else { return nil }
            let asked = IKEOfferText.selectors(proposed.initiator, proposed.responder)
            let settled = IKEOfferText.selectors(child.initiatorSelectors, child.responderSelectors)
            guard asked != settled else { return nil }
            refusal.evidence.append("selectors: proposed \(asked) (\(frames(request))), narrowed to \(settled)")
            return refusal
        }
        guard case .notify(let type) = child.failure else { return nil }
        let offered = request.v2Proposals?.filter { $0.protocolID != IKEv2ProtocolID.ike } ?? []
        if !offered.isEmpty { refusal.evidence.append("offered (\(frames(request))): \(IKEOfferText.v2(offered))") }
        if let proposed {
            refusal.evidence.append(
                "proposed (\(frames(request))): \(IKEOfferText.selectors(proposed.initiator, proposed.responder))")
        }
        let refuser: IKEPeer = exchange.requestedByInitiator ? .responder : .initiator
        let by = peer(refuser, of: sa)
        switch type {
        case .tsUnacceptable:
            let what = proposed.map { " (\(IKEOfferText.selectors($0.initiator, $0.responder)))" } ?? ""
            refusal.verdict = "\(by) accepted none of the traffic selectors proposed\(what)"
        case .noProposalChosen where !offered.isEmpty:
            let name = "\(offered.first?.protocolName ?? "ESP") proposal"
            refusal.verdict = noProposal(
                by: by, count: offered.count, what: name,
                alternative: laterChild(after: index, like: child, story: story, offered: offered))
        default:
            refusal.verdict = "\(by) refused the CHILD_SA with \(type.name)"
        }
        // IKE_AUTH refusing only its CHILD_SA leaves the IKE SA up (RFC 7296 1.2); when the
        // IKE SA itself failed there, its own line said who refused what.
        if exchange.type == .v2(.ikeAuth) {
            if case .failed = sa.state {
                refusal.verdict = nil
            } else {
                refusal.verdict? += "; the IKE SA stays"
            }
        }
        return refusal
    }

    /// A later CHILD_SA between the same requester and responder that agreed on a proposal:
    /// its transforms that none of `offered` held.
    private static func laterChild(
        after index: Int, like child: ChildSARecord, story: IKEReconstruction, offered: [IKEv2Proposal]
    ) -> String? {
        for later in searchRange(after: index, in: story.children.indices) {
            let other = story.children[later]
            guard other.established, other.requester == child.requester, other.responder == child.responder,
                case .v2(let chosen) = other.proposal
            else { continue }
            return agreement(
                "CHILD_SA #\(later + 1)", missing: IKEOfferText.missing(chosen, from: offered),
                agreed: chosen.transforms.map(\.name))
        }
        return nil
    }
}
