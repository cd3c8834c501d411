/// The part of a compact line (see `CompactPacketLine`) that may be cut to fit a narrow
/// terminal: a list of fields, cut at field boundaries rather than wrapped. The last fields
/// that are not essential go first; each run of cut fields shows as "…". Essential fields (an
/// error notify, the inner packet's addresses) are never cut.
struct CompactFields {
    struct Field {
        var text: String
        var essential = false
    }

    var fields: [Field]

    /// The fields `kept`, space-separated, with "…" in place of each run of the others.
    static func join(_ fields: ArraySlice<Field>, kept: ArraySlice<Bool>) -> String {
        var parts: [String] = []
        var cutBefore = false
        for (field, keep) in zip(fields, kept) {
            if keep {
                parts.append(field.text)
                cutBefore = false
            } else if !cutBefore {
                parts.append("…")
                cutBefore = true
            }
        }
        return parts.joined(separator: " ")
    }

    /// The line `render` makes from the fields kept, cutting as few as lets it take at most
    /// `budget` rows of `width`, for the first budget of `budgets` that any cut meets; nil when
    /// none does. A binary search over how many fields are cut: a line with thousands of
    /// payloads is rendered a dozen times, not thousands.
    func fitted(budgets: [Int], width: Int, render: ([Bool]) -> String) -> String? {
        let cuttable = fields.indices.filter { !fields[$0].essential }
        func line(cutting count: Int) -> String {
            var kept = [Bool](repeating: true, count: fields.count)
            for index in cuttable.suffix(count) { kept[index] = false }
            return render(kept)
        }
        for budget in budgets {
            guard LineFitter.rowCount(line(cutting: cuttable.count), width: width) <= budget else { continue }
            var low = 0
            var high = cuttable.count
            while low < high {
                let middle = low + (high - low) / 2
                if LineFitter.rowCount(line(cutting: middle), width: width) <= budget {
                    high = middle
                } else {
                    low = middle + 1
                }
            }
            return line(cutting: low)
        }
        return nil
    }
}
