/// Labelled lists of the text reports ("Verdicts: decrypted 5, icv-failed 3, …", an IKE SA's
/// "proposal: ENCR_AES_CBC_128 …").
enum TotalsText {
    /// `label` and the items joined by `separator` and a space, ending in a newline; on a
    /// terminal too narrow for the one row, the items continue on rows aligned under the first,
    /// each row holding whole items (a list's layout, not a sentence folded at any space).
    static func list(_ label: String, _ items: [String], separator: String = ",", width: Int?) -> String {
        let whole = label + items.joined(separator: separator + " ")
        guard let width, !TerminalRows.fits(whole, width) else { return whole + "\n" }
        let indent = String(repeating: " ", count: label.count)
        var rows: [String] = []
        var row = label
        for (index, item) in items.enumerated() {
            let piece = item + (index < items.count - 1 ? separator : "")
            if row == label || row == indent || TerminalRows.fits(row + " " + piece, width) {
                row += (row == label || row == indent ? "" : " ") + piece
            } else {
                rows.append(row)
                row = indent + piece
            }
        }
        return (rows + [row]).map { $0 + "\n" }.joined()
    }
}
