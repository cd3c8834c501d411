import SpiglassWire

/// What one or more key files gave: IPsec SAs, IKE SAs, security policies, and a note per line for
/// `spiglass keys check`.
public struct KeySet: Sendable, Equatable {
    public var sas: [SecurityAssociation] = []
    public var ikeSAs: [IKESecurityAssociation] = []
    /// Security policies (`ip xfrm policy`, `setkey -DP`, strongSwan connections, native
    /// `policy` lines): the SPD the decrypted and the cleartext traffic are checked against.
    public var policies: [SecurityPolicy] = []
    public var notes: [KeyFileNote] = []
    /// One warning per key file that users other than its owner may read or write
    /// (`KeyFileLoader.permissionWarning`); the CLI prints them on standard error.
    public var permissionWarnings: [KeyFileNote] = []
    /// Files read through includes (tcpdump's `file`), besides the key files named: inputs
    /// that no output may overwrite.
    public var includedFiles: [String] = []

    public init() {}

    /// Puts `note` in the place a block's header line was given when the block began (its
    /// index in `notes`), once the block's end says what it was; nothing if there is none.
    mutating func replaceNote(at index: Int, with note: KeyFileNote) {
        guard index < notes.count else { return }
        notes[index] = note
    }

    public mutating func merge(_ other: KeySet) {
        sas += other.sas
        ikeSAs += other.ikeSAs
        policies += other.policies
        notes += other.notes
        addPermissionWarnings(other.permissionWarnings)
        includedFiles += other.includedFiles
    }

    /// Adds the warnings for files not warned about yet.
    public mutating func addPermissionWarnings(_ warnings: [KeyFileNote]) {
        for warning in warnings where !permissionWarnings.contains(where: { $0.file == warning.file }) {
            permissionWarnings.append(warning)
        }
    }

    public var isEmpty: Bool { sas.isEmpty && ikeSAs.isEmpty }
}

/// How a key-file line was understood (or why it was skipped), for `keys check`.
public struct KeyFileNote: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The line gave (part of) an SA.
        case understood
        /// The line carries nothing Spiglass uses (lifetimes, statistics, selectors…).
        case ignored
        /// Understood, but something deserves attention (e.g. an unsupported algorithm).
        case warning
    }

    public var kind: Kind
    public var file: String
    public var line: Int
    public var message: String

    /// `message` is escaped for display (`DisplayText`), like `KeyFileError`'s.
    public init(_ kind: Kind, file: String, line: Int, _ message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.message = DisplayText.escaped(message)
    }

    public var description: String { "\(DisplayText.escaped(file)):\(line): \(kind.rawValue): \(message)" }
}
