import Testing

@testable import SpiglassAnalysis

/// A compact line's fields are cut at field boundaries: the last ones that are not essential
/// first, each run of cut fields shown as "…", essential ones never; the first row budget any
/// cut meets is used.
struct CompactFieldsTests {
    static func fields(_ texts: [String], essential: Set<Int> = []) -> CompactFields {
        CompactFields(
            fields: texts.enumerated().map { CompactFields.Field(text: $1, essential: essential.contains($0)) })
    }

    static func line(_ fields: CompactFields, _ kept: [Bool]) -> String {
        "head " + CompactFields.join(fields.fields[...], kept: kept[...])
    }

    @Test func theLastFieldsAreCutFirstAndMarked() {
        let fields = Self.fields(["10.0.0.1 → 10.0.0.2", "ICMP", "echo request", "len=84"], essential: [0])
        let render = { Self.line(fields, $0) }
        #expect(
            fields.fitted(budgets: [1], width: 80, render: render)
                == "head 10.0.0.1 → 10.0.0.2 ICMP echo request len=84")
        #expect(
            fields.fitted(budgets: [1], width: 44, render: render) == "head 10.0.0.1 → 10.0.0.2 ICMP echo request …")
        #expect(fields.fitted(budgets: [1], width: 32, render: render) == "head 10.0.0.1 → 10.0.0.2 ICMP …")
        #expect(fields.fitted(budgets: [1], width: 27, render: render) == "head 10.0.0.1 → 10.0.0.2 …")
        // The addresses are essential: too narrow for them, no cut fits one row.
        #expect(fields.fitted(budgets: [1], width: 20, render: render) == nil)
        // Then two rows hold what one could not, cut as little as they need.
        #expect(fields.fitted(budgets: [1, 2], width: 20, render: render) == "head 10.0.0.1 → 10.0.0.2 ICMP …")
        #expect(
            fields.fitted(budgets: [1, 2], width: 40, render: render) == "head 10.0.0.1 → 10.0.0.2 ICMP …")
    }

    /// An essential field after cut ones stays, and each run of cut fields is one "…".
    @Test func essentialFieldsStayWhereverTheyAre() {
        let fields = Self.fields(["SA", "KE", "Nonce", "N(NO_PROPOSAL_CHOSEN)", "V(a)", "V(b)"], essential: [3])
        let render = { Self.line(fields, $0) }
        #expect(fields.fitted(budgets: [1], width: 40, render: render) == "head SA KE Nonce N(NO_PROPOSAL_CHOSEN) …")
        #expect(fields.fitted(budgets: [1], width: 36, render: render) == "head SA KE … N(NO_PROPOSAL_CHOSEN) …")
        #expect(fields.fitted(budgets: [1], width: 35, render: render) == "head SA … N(NO_PROPOSAL_CHOSEN) …")
        #expect(fields.fitted(budgets: [1], width: 30, render: render) == "head … N(NO_PROPOSAL_CHOSEN) …")
        #expect(fields.fitted(budgets: [1], width: 29, render: render) == nil)
        #expect(
            CompactFields.join(fields.fields[...], kept: [false, false, true, true, false, true])
                == "… Nonce N(NO_PROPOSAL_CHOSEN) … V(b)")
    }
}
