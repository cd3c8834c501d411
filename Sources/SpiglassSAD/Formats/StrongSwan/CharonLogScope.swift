/// Where a line of a charon log belongs, for tying keys to SPIs.
///
/// charon runs each job (a received message, an initiation, a rekey) on one worker thread
/// with one IKE SA checked out; the thread number and, with `ike_name = yes` or the
/// journal's fields, the IKE SA's unique id frame every line of it. A daemon restart
/// numbers IKE SAs from 1 again, so every key is also scoped by the daemon run.
struct CharonLogScope: Hashable {
    var source: Int
    var run: Int
    var thread: Int?
    var ikeSA: UInt32?

    /// The job this line is part of: one thread's, whatever IKE SA the line names (a rekey
    /// logs the new IKE SA's lines and the old one's in the same job).
    var job: CharonJobKey { CharonJobKey(source: source, run: run, thread: thread) }
}

struct CharonJobKey: Hashable {
    var source: Int
    var run: Int
    var thread: Int?
}

/// One IKE SA of one daemon run, as the log names it by unique id.
struct CharonIKESAKey: Hashable {
    var source: Int
    var run: Int
    var uniqueID: UInt32
}

/// A `selected proposal:` line.
struct CharonProposal {
    var text: Substring
    var line: Int
}

/// The stream of lines a dump's rows arrive on: one thread of one daemon.
struct CharonDumpStream: Hashable {
    var source: Int
    var thread: Int?
}

/// What charon writes about an IKE SA by name in the text of a message: `IKE_SA name[N]`
/// (also `(unnamed)[N]`) and the `SPIs <16 hex>_i <16 hex>_r` of its manager (mgr level 2).
enum CharonLogText {
    /// The unique id in "IKE_SA spiglass[2] …", "IKE_SA (unnamed)[1] …", "IKEv2 SA spiglass[2] with SPIs …".
    static func namedIKESA(after marker: StaticString, in text: Substring) -> UInt32? {
        guard let range = TextBytes.range(of: marker, in: text) else { return nil }
        let rest = text[range.upperBound...].prefix(300)
        guard let open = rest.firstIndex(of: "["), let close = rest[open...].firstIndex(of: "]") else { return nil }
        guard !rest[..<open].contains(" ") else { return nil }
        let digits = rest[rest.index(after: open)..<close]
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt32(digits)
    }

    /// "… SPIs 79f54b97b88d732e_i* d370a4356fcbc654_r …"
    static func spiPair(_ text: Substring) -> IKESPIPairValue? {
        guard let range = TextBytes.range(of: "SPIs ", in: text) else { return nil }
        let words = text[range.upperBound...].split(separator: " ", maxSplits: 2)
        guard words.count >= 2 else { return nil }
        func value(_ w: Substring, _ suffix: String) -> UInt64? {
            var w = w
            if w.hasSuffix("*") { w = w.dropLast() }
            guard w.hasSuffix(suffix) else { return nil }
            let digits = w.dropLast(suffix.count)
            guard digits.count == 16 else { return nil }
            return UInt64(digits, radix: 16)
        }
        guard let i = value(words[0], "_i"), let r = value(words[1], "_r"), i != 0 else { return nil }
        return IKESPIPairValue(initiator: i, responder: r)
    }

    /// "CHILD_SA net{2} state change: …" → "net{2}".
    static func childName(after marker: StaticString, in text: Substring) -> Substring? {
        guard let range = TextBytes.range(of: marker, in: text) else { return nil }
        let name = text[range.upperBound...].prefix { $0 != " " }
        guard name.hasSuffix("}"), name.contains("{") else { return nil }
        return name
    }

    /// "parsed IKE_AUTH response 1 [ … ]" → the exchange's role of this host.
    static func parsedRole(_ text: Substring) -> CharonExchangeRole? {
        guard TextBytes.hasPrefix("parsed ", text) else { return nil }
        let words = text.split(separator: " ", maxSplits: 3)
        guard words.count >= 3 else { return nil }
        if words[2] == "request" { return .responder }
        if words[2] == "response" { return .initiator }
        return nil
    }
}

/// Which side of an exchange (not of the IKE SA) this host was: the initiator's CHILD_SA
/// keys protect what the exchange initiator sends.
enum CharonExchangeRole: CustomStringConvertible {
    case initiator
    case responder

    var description: String { self == .initiator ? "initiator" : "responder" }
}
