/// Which colour each verdict and finding gets on a colour terminal (`TextDisplay.paint`).
extension PacketVerdict {
    var style: TextStyle? {
        switch self {
        case .decrypted, .ahVerified: .good
        case .icvFailed, .ahICVFailed, .garbled, .malformed: .failure
        case .noSA, .unsupportedAlgorithm, .truncated, .espNull, .undecodable: .warning
        case .dummy, .ike, .ah, .natKeepalive, .tcpSegment, .fragment, .notIPsec, .captureDuplicate: nil
        }
    }
}

extension Finding.Kind {
    /// Failures in red (the keys or the traffic are wrong), the rest in yellow.
    var style: TextStyle {
        switch self {
        case .icvFailures, .garbled, .policyMismatch: .failure
        case .truncated, .padding, .weakAlgorithm, .replay, .loss: .warning
        }
    }
}

extension TextDisplay {
    /// The verdict's name in its colour.
    func paint(_ verdict: PacketVerdict) -> String {
        verdict.style.map { paint(verdict.rawValue, $0) } ?? verdict.rawValue
    }

    /// `text` in `style`, or unchanged without one.
    func paint(_ text: String, _ style: TextStyle?) -> String {
        style.map { paint(text, $0) } ?? text
    }
}

/// The line that says how many frames `--only ipsec` left out of the packet list.
enum HiddenFrames {
    static func line(_ summary: AnalysisSummary, display: TextDisplay) -> String? {
        guard summary.hiddenFrames > 0 else { return nil }
        let frames = summary.hiddenFrames == 1 ? "1 frame" : "\(summary.hiddenFrames) frames"
        return display.paint("(\(frames) not IPsec hidden; --only all shows them)", .quiet) + "\n"
    }
}
