/// Adds rows to a Wireshark key table (a UAT file: `esp_sa`, `ikev2_decryption_table`,
/// `ikev1_decryption_table`) that a user may already have filled: their rows, comments and
/// order stay; a row for an SA the table already has with other values is a conflict, which
/// replaces the old row only when asked (`--force`).
public enum WiresharkTableMerge {
    public enum Table: String, Sendable, CaseIterable {
        case espSA = "esp_sa"
        case ikev2 = "ikev2_decryption_table"
        case ikev1 = "ikev1_decryption_table"

        /// The leading fields that name the SA a row is for: protocol, source, destination
        /// and SPI; SPIi and SPIr; the initiator cookie.
        var identityFields: Int {
            switch self {
            case .espSA: return 4
            case .ikev2: return 2
            case .ikev1: return 1
            }
        }
    }

    public struct Result: Sendable {
        public var text: String
        public var added = 0
        public var kept = 0
        public var replaced = 0
        /// The SAs whose new row differs from the table's, named without their keys.
        public var conflicts: [String] = []
    }

    public static func merge(existing: String?, new: String, table: Table, force: Bool) -> Result {
        var lines = existing.map { KeyFileLines.of($0).map(String.init) } ?? []
        if lines.last == "" { lines.removeLast() }
        var result = Result(text: "")
        var rowIndex: [[String]: Int] = [:]
        for (index, line) in lines.enumerated() {
            guard let identity = identity(line, table: table) else { continue }
            rowIndex[identity] = index
            result.kept += 1
        }
        let present = Set(lines)
        for line in KeyFileLines.of(new).map(String.init) where !line.isEmpty {
            guard let identity = identity(line, table: table) else {
                // A comment: the header only for a new file, a note only once.
                if existing == nil || (!present.contains(line) && !line.hasPrefix("# Wireshark ")) {
                    lines.append(line)
                }
                continue
            }
            if let index = rowIndex[identity] {
                guard lines[index] != line else { continue }
                result.conflicts.append(describe(identity, table: table))
                if force {
                    lines[index] = line
                    result.replaced += 1
                    result.kept -= 1
                }
                continue
            }
            rowIndex[identity] = lines.count
            lines.append(line)
            result.added += 1
        }
        result.text = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
        return result
    }

    /// The identity fields of a data row (quotes removed, case folded), nil for comments.
    static func identity(_ line: String, table: Table) -> [String]? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
        let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).prefix(table.identityFields).map {
            String($0.filter { $0 != "\"" && $0 != " " }).lowercased()
        }
        return fields.count == table.identityFields ? fields : nil
    }

    static func describe(_ identity: [String], table: Table) -> String {
        switch table {
        case .espSA: return "\(identity[0]) SPI \(identity[3]) \(identity[1]) → \(identity[2])"
        case .ikev2: return "IKE SA \(identity[0])_i \(identity[1])_r"
        case .ikev1: return "IKE SA cookie \(identity[0])"
        }
    }
}
