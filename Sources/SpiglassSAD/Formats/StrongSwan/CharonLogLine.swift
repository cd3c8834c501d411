/// One line of a charon message, as whatever wrote the log framed it: the filelog and
/// stderr loggers (`[time ]NN[GRP] [<name|N> ]message`), syslog (`time host charon[pid]:`
/// before that), journald (`journalctl` short output without thread or group, or its JSON
/// with them as fields) and strongSwan 6's JSON filelog. A multi-line message (a hexdump)
/// is one line per row; each row carries the same framing.
struct CharonLogLine {
    /// Which daemon wrote it, when a line says (a syslog file may hold several hosts'
    /// charons; the pid changes when a daemon restarts). Interned by the decoder.
    var source: Int
    /// The charon thread (`NN[` in the prefix, THREAD in the journal); nil when the shape
    /// carries none (journalctl's short output of charon-systemd's journal logger).
    var thread: Int?
    /// The IKE SA the line was logged for (`ike_name = yes`, or the journal's fields).
    var ikeSA: CharonIKESATag?
    /// The message text (one line of it).
    var text: Substring
    /// A row of the previous message that journalctl printed indented under it.
    var isContinuation: Bool
}

/// `<name|N>` or `<N>` (the IKE SA has no config yet): N is the IKE SA's unique id,
/// counted from 1 by each daemon run; the name is not part of the identity.
struct CharonIKESATag: Hashable {
    var uniqueID: UInt32
    var name: Substring?

    static func == (a: CharonIKESATag, b: CharonIKESATag) -> Bool { a.uniqueID == b.uniqueID }
    func hash(into hasher: inout Hasher) { hasher.combine(uniqueID) }

    /// How the log names it: "<spiglass|2>", "<1>".
    var shown: String { name.map { "<\($0)|\(uniqueID)>" } ?? "<\(uniqueID)>" }
}
