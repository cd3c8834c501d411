/// Key material that users put on a command line: `--key SPEC` (as tcpdump `-E` and tshark
/// `-o uat:` allow), and a `-k` argument that is a key rather than a file name. Neither may
/// ever be echoed in a message.
public enum KeyArgument {
    /// How errors name a `-k` argument that is not shown.
    public static let hiddenName = "(-k argument not shown)"

    /// How notes and errors name the `index`-th `--key` (from 1).
    public static func inlineName(_ index: Int) -> String { "--key #\(index)" }

    /// The warning every run with `--key` gives, once.
    public static let warning =
        "keys given with --key stay in the shell's history and can be read by other users in the process list; a key file with mode 0600 is safer"

    /// True when `argument`, given where a key file's name goes, may be a key: it has blanks,
    /// `=` or `,` (a native, tcpdump or esp_sa line), an `algo:secret` pair, or a long run of
    /// hex digits. File names rarely look like that; when one does, the message says why it
    /// is not shown.
    public static func mayHoldKeyMaterial(_ argument: String) -> Bool {
        var hexRun = 0
        for c in argument.utf8 {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "=") || c == UInt8(ascii: ",")
                || c == UInt8(ascii: "\"") || c == UInt8(ascii: ":")
            {
                return true
            }
            if (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"))
                || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
            {
                hexRun += 1
                if hexRun >= 16 { return true }
            } else {
                hexRun = 0
            }
        }
        return false
    }
}
