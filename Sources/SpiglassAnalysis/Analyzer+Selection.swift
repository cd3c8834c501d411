import SpiglassCapture

/// `--spi`, `--ike-sa`, `--from` and `--to` applied where the reports are made (see
/// `ReportSelection`): the analysis itself sees every frame.
extension Analyzer {
    /// Whether the current record is shown (and its decrypted packet written to -w). Reads the
    /// record in place: passing it as an argument copied it (and retained its arrays) on every
    /// frame of every run, selection or not.
    @inline(__always)
    var recordIsShown: Bool {
        guard options.selection.isActive else { return true }
        return selectionAdmitsRecord()
    }

    /// The selection's verdict on the current record; out of line, as most runs select nothing.
    @inline(never)
    func selectionAdmitsRecord() -> Bool {
        guard let start = summary.firstTime else { return false }
        return options.selection.admits(record, start: start, ike: ike)
    }

    /// Whether the current record is shown; counts the frames selected.
    @inline(__always)
    func selectsRecord() -> Bool {
        guard options.selection.isActive else { return true }
        guard selectionAdmitsRecord() else {
            if summary.selectedFrames == nil { summary.selectedFrames = 0 }
            return false
        }
        if record.frame != lastSelectedFrame {
            lastSelectedFrame = record.frame
            summary.selectedFrames = (summary.selectedFrames ?? 0) + 1
        }
        return true
    }

    /// The summary and SA table the reports show: with a selection, only the selected SAs
    /// (each with the figures of all its packets), their findings, and the selected IKE SAs.
    func selectedForReport() -> (AnalysisSummary, [FlowStatistics]) {
        let selection = options.selection
        guard selection.isActive else { return (summary, flows) }
        let start = summary.firstTime ?? Timestamp(seconds: 0, microseconds: 0)
        var shown = summary
        if shown.selectedFrames == nil { shown.selectedFrames = 0 }
        let shownFlows = selection.flows(flows, start: start, ike: ike)
        shown.findings = ReportSelection.findings(summary.findings, of: shownFlows)
        reporter.select(ikeSAs: selection.ikeSAs(start: start, ike: ike))
        return (shown, shownFlows)
    }
}

extension ReportSelection {
    /// The summary's lines about `-f` and the selection, when there is something to say.
    static func summaryLines(_ summary: AnalysisSummary) -> String {
        var out = ""
        if summary.filterExcluded > 0 {
            out +=
                "Filter (-f): \(summary.filterExcluded) of \(summary.frames) frames excluded (counted for the frame numbers, not analysed)\n"
        }
        if let selected = summary.selectedFrames {
            out +=
                "Selection: \(selected) of \(summary.frames) frames shown; the tables show the selected SAs, each with the figures of all its packets\n"
        }
        return out
    }
}

extension ReportSelection {
    /// The same counts in a JSON summary, when there is something to say.
    static func addCounts(_ summary: AnalysisSummary, to object: inout JSONObject) {
        if summary.filterExcluded > 0 { object.int("filter_excluded", summary.filterExcluded) }
        if let selected = summary.selectedFrames { object.int("selected_frames", selected) }
    }
}
