import SpiglassIKE
import SpiglassWire

/// How much a finding matters, most first: the order of the overview's list.
enum HTMLReportSeverity: Int, Comparable {
    /// Something failed: a negotiation, an ICV, the capture file.
    case failure
    /// Something is weak or suspicious: deprecated algorithms, replays, loss, no PFS.
    case warning
    /// Worth knowing: padding, warnings of the run.
    case notice

    static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    var word: String {
        switch self {
        case .failure: return "failure"
        case .warning: return "warning"
        case .notice: return "notice"
        }
    }
}

/// One line of the overview's findings: its words (the text reports' own), and the anchor of
/// its evidence in the page.
struct HTMLReportFinding {
    var severity: HTMLReportSeverity
    var text: String
    var anchor: String?

    /// The run's findings, the IKE SAs' failures and findings, damage and warnings, ranked by
    /// severity (in the order found within one severity).
    static func collect(_ input: HTMLReportInput) -> [HTMLReportFinding] {
        var found: [HTMLReportFinding] = []
        if let damage = input.summary.damage {
            found.append(
                HTMLReportFinding(severity: .failure, text: "capture ended early: \(damage)", anchor: "overview"))
        }
        for (index, sa) in input.ike.ikeSAs.enumerated() {
            let anchor = HTMLReportInput.ikeSAAnchor(index)
            switch sa.state {
            case .failed, .noResponse:
                let evidence = sa.failureEvidence.map { " (\(IKESAWords.evidence($0)))" } ?? ""
                found.append(
                    HTMLReportFinding(
                        severity: .failure, text: "IKE SA #\(index + 1): \(IKESAWords.state(sa.state))\(evidence)",
                        anchor: anchor))
            default: break
            }
            for child in sa.children where child < input.ike.children.count {
                guard let failure = input.ike.children[child].failure else { continue }
                found.append(
                    HTMLReportFinding(
                        severity: .failure,
                        text: "CHILD_SA #\(child + 1) of IKE SA #\(index + 1): \(IKESAWords.failure(failure))",
                        anchor: anchor))
            }
            for finding in sa.findings {
                found.append(
                    HTMLReportFinding(
                        severity: severity(finding), text: "IKE SA #\(index + 1): \(finding.text)", anchor: anchor))
            }
        }
        var flowOf: [FlowEnds: Int] = [:]
        for (index, flow) in input.flows.enumerated() {
            let ends = FlowEnds(spi: flow.key.spi, source: flow.key.source, destination: flow.key.destination)
            if flowOf[ends] == nil { flowOf[ends] = index }
        }
        for finding in input.summary.findings {
            let flow = flowOf[FlowEnds(spi: finding.spi, source: finding.source, destination: finding.destination)]
            found.append(
                HTMLReportFinding(
                    severity: severity(finding.kind),
                    text: "\(finding.spi.description) \(finding.source) → \(finding.destination): \(finding.message)",
                    anchor: flow.map(HTMLReportInput.flowAnchor)))
        }
        for line in PolicyPresentation.leakFindings(input.summary.policy) {
            found.append(HTMLReportFinding(severity: .warning, text: line, anchor: "sas"))
        }
        for message in input.summary.diagnostics {
            found.append(HTMLReportFinding(severity: .notice, text: message, anchor: nil))
        }
        // A stable sort: within a severity, the order they were found in.
        return found.enumerated().sorted { ($0.element.severity, $0.offset) < ($1.element.severity, $1.offset) }
            .map(\.element)
    }

    /// What a flow finding names of its flow.
    private struct FlowEnds: Hashable {
        var spi: SPI
        var source: IPAddress
        var destination: IPAddress
    }

    static func severity(_ kind: Finding.Kind) -> HTMLReportSeverity {
        switch kind {
        case .icvFailures, .garbled: return .failure
        case .truncated, .weakAlgorithm, .replay, .loss, .policyMismatch: return .warning
        case .padding: return .notice
        }
    }

    static func severity(_ finding: IKEFinding) -> HTMLReportSeverity {
        switch finding {
        case .keysFailIntegrity, .xauthFailed: return .failure
        case .weakAlgorithm, .childSAWithoutPFS, .aggressiveModePSK, .ikev1Deprecated: return .warning
        }
    }
}
