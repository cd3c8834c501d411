/// Follows a charon log line by line and ties each key it dumps to the SA it belongs to.
///
/// The rules, strongest first (the `keys check` notes say which one tied each key):
/// - **By IKE SA unique id**, where every line names it (`ike_name = yes`, the journal's
///   IKE_SA_UNIQUE_ID): the keys, the SPIs (from the NAT-D and AUTH `octets` dumps, or the
///   manager's `… name[N] with SPIs` lines) and the proposal of `<name|N>` and `<N>` are
///   one IKE SA's, whatever thread logged them.
/// - **By thread and order** where lines name none: keys belong to the job (a received
///   message, an initiation) their thread was running; that job's SPI dumps, before the keys
///   or after them (a responder derives its keys before it dumps the AUTH `octets`), give
///   the SPIs, and a line naming `IKE_SA name[N]` after the keys ties them to the manager's
///   SPI lines.
/// - Keys of an IKE SA whose SPIs the log never shows (an IKE SA made by a rekey, unless
///   `mgr` logs at level 2) are kept unbound: analysing a capture binds them to the IKE SA
///   whose messages verify with them (`IKESPIBinding.byIntegrity`).
/// CHILD_SA keys are tied to the `CHILD_SA name{n} established with SPIs` line of the same
/// job, with the role (which side initiated the exchange) from the job's `parsed … request
/// |response` line.
final class CharonKeyTracker {
    let file: String
    var keys = KeySet()

    var decoder = CharonLogLineDecoder()
    /// Daemon runs seen so far (a restart numbers IKE SAs from 1 again).
    var run = 1
    var seenSinceStart = false
    var ignored = 0
    var warnedTrackingBound = false

    var dumps: [CharonDumpStream: PendingCharonDump] = [:]
    var jobs: [CharonJobKey: CharonJob] = [:]
    var ikeSAs: [CharonIKESAKey: CharonIKESAFacts] = [:]
    var ikeRecords: [CharonIKEKeyRecord] = []
    /// Proposals seen in a job that also showed the IKE SA's SPIs (a responder selects the
    /// proposal in IKE_SA_INIT and derives the keys in IKE_AUTH, on another thread).
    var proposalBySPIs: [IKESPIPairValue: CharonProposal] = [:]
    var lastIKEProposal: CharonProposal?
    var lastESPProposal: CharonProposal?
    /// CHILD_SAs being rekeyed, per IKE SA (or per run where lines name none), for the
    /// "rekey of" of the CHILD_SA that replaces them.
    var rekeyingChildren: [CharonLogScope: [Substring]] = [:]

    init(file: String) { self.file = file }

    func note(_ kind: KeyFileNote.Kind, _ line: Int, _ message: String) {
        keys.notes.append(KeyFileNote(kind, file: file, line: line, message))
    }

    func checkCount(_ line: Int) throws {
        guard keys.sas.count + keys.ikeSAs.count < KeyFileLimits.maxSAs else {
            throw KeyFileError(.tooLarge, file: file, line: line, "more than \(KeyFileLimits.maxSAs) SAs")
        }
    }

    // MARK: - Lines

    func consume(_ raw: Substring, number: Int) throws {
        try decoder.decode(raw) { line in try consume(line, number: number) }
    }

    func consume(_ line: CharonLogLine, number: Int) throws {
        let stream = CharonDumpStream(source: line.source, thread: line.thread)
        if var dump = dumps[stream] {
            if let row = CharonLogDump.row(line.text) {
                switch dump.take(offset: row.offset, row: row.bytes) {
                case .needMore:
                    dumps[stream] = dump
                case .complete:
                    dumps[stream] = nil
                    try deliver(&dump, scope: scope(of: line))
                case .broken(let why):
                    dumps[stream] = nil
                    dumpBroken(dump, line: number, why: why)
                }
                return
            }
            dumps[stream] = nil
            if dump.kind == .spiSource {
                try deliver(&dump, scope: scope(of: line))
            } else {
                dumpBroken(
                    dump, line: dump.line,
                    why: "'\(dump.name) => \(dump.length) bytes' is not followed by its hexdump (cut?)")
            }
        }
        if line.isContinuation {
            // A row of a dump nobody reads, or the rest of a multi-line message.
            return
        }
        if let header = CharonLogDump.header(line.text) {
            startDump(header, line: line, number: number)
            return
        }
        if CharonLogDump.row(line.text) != nil { return }
        try message(line.text, scope: scope(of: line), line: number)
    }

    func scope(of line: CharonLogLine) -> CharonLogScope {
        if let tag = line.ikeSA, let name = tag.name, name != "(unnamed)" {
            let key = CharonIKESAKey(source: line.source, run: run, uniqueID: tag.uniqueID)
            if ikeSAs[key]?.name == nil { updateFacts(key) { $0.name = name } }
        }
        return CharonLogScope(source: line.source, run: run, thread: line.thread, ikeSA: line.ikeSA?.uniqueID)
    }

    /// Threads (of all daemons) followed at once; past it, the jobs so far are closed.
    static let maxJobs = 100_000

    /// IKE SAs whose facts a log may hold: a hostile log naming a new unique id on every line
    /// cannot make the table grow with it.
    static let maxTrackedIKESAs = 100_000

    /// Changes what is known of an IKE SA (a new one only while under the bound).
    func updateFacts(_ key: CharonIKESAKey, _ change: (inout CharonIKESAFacts) -> Void) {
        if var facts = ikeSAs[key] {
            change(&facts)
            ikeSAs[key] = facts
            return
        }
        guard ikeSAs.count < Self.maxTrackedIKESAs else {
            if !warnedTrackingBound {
                warnedTrackingBound = true
                note(
                    .warning, 0,
                    "more than \(Self.maxTrackedIKESAs) IKE SAs named in the log; what later lines say of further ones is not kept"
                )
            }
            return
        }
        var facts = CharonIKESAFacts()
        change(&facts)
        ikeSAs[key] = facts
    }

    func ikeSAKey(_ scope: CharonLogScope, _ id: UInt32) -> CharonIKESAKey {
        CharonIKESAKey(source: scope.source, run: scope.run, uniqueID: id)
    }

    func startDump(_ header: (name: Substring, length: Int), line: CharonLogLine, number: Int) {
        guard let kind = CharonLogDump.kind(of: header.name) else {
            ignored += 1
            return
        }
        seenSinceStart = true
        if kind != .spiSource, header.length > CharonLogDump.maxKeyBytes {
            note(.warning, number, "'\(header.name)': \(header.length) bytes is not a key length; skipped")
            return
        }
        if kind == .spiSource, header.length < 16 {
            return
        }
        let stream = CharonDumpStream(source: line.source, thread: line.thread)
        var dump = PendingCharonDump(
            name: header.name, kind: kind, length: header.length, line: number, ikeSA: line.ikeSA)
        if header.length == 0 {
            try? deliver(&dump, scope: scope(of: line))
            return
        }
        dumps[stream] = dump
    }

    func dumpBroken(_ dump: PendingCharonDump, line: Int, why: String) {
        guard dump.kind != .spiSource else { return }
        note(.warning, line, "'\(dump.name)' (line \(dump.line)): \(why); this key is skipped")
    }

    func deliver(_ dump: inout PendingCharonDump, scope: CharonLogScope) throws {
        switch dump.kind {
        case .spiSource:
            guard let pair = dump.spiPair else { return }
            sawSPIs(pair, how: "\(dump.name) dump", line: dump.line, scope: scope)
        case .ikeKey(let name):
            try ikeKey(name, dump.takeSecret(), line: dump.line, scope: scope)
        case .childKey(let name):
            childKey(name, dump.takeSecret(), line: dump.line, scope: scope)
        }
    }

    // MARK: - Messages

    func message(_ raw: Substring, scope: CharonLogScope, line: Int) throws {
        var text = raw
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        let message = CharonMessage(text: text, scope: scope, line: line)
        for rule in Self.messageRules {
            if try rule(self, message) { return }
        }
        ignored += 1
    }

    /// A message line's text (trimmed), its scope and its line number.
    struct CharonMessage {
        let text: Substring
        let scope: CharonLogScope
        let line: Int
    }

    /// Reads a message if it is of the rule's kind; false when it is not.
    typealias MessageRule = @Sendable (CharonKeyTracker, CharonMessage) throws -> Bool

    /// The kinds of message that say something about keys, tried in this order (a line is
    /// read by the first that recognises it; the others count as ignored).
    static let messageRules: [MessageRule] = [
        { $0.daemonStartMessage($1) },
        { $0.receivedPacketMessage($1) },
        { $0.selectedProposalMessage($1) },
        { $0.parsedMessage($1) },
        { $0.childDirectionMessage($1) },
        { $0.childSPIMessage($1) },
        { $0.childAlgorithmMessage($1) },
        { try $0.childEstablishedMessage($1) },
        { $0.outboundChildMessage($1) },
        { $0.childStateMessage($1) },
        { $0.childRekeyDetectedMessage($1) },
        { $0.ikeSACheckMessage($1) },
        { $0.namedIKESAMessage($1) },
    ]

    func daemonStartMessage(_ message: CharonMessage) -> Bool {
        let text = message.text
        guard TextBytes.hasPrefix("Starting IKE charon daemon", text) || TextBytes.hasPrefix("loaded plugins: ", text)
        else {
            return false
        }
        daemonStarted(line: message.line)
        ignored += 1
        return true
    }

    func receivedPacketMessage(_ message: CharonMessage) -> Bool {
        guard TextBytes.hasPrefix("received packet: from ", message.text) else { return false }
        // A worker starts on a message: a new job on its thread.
        if jobs.count >= Self.maxJobs {
            closeJobs()
            jobs = [:]
        }
        jobs[message.scope.job] = CharonJob(start: message.line)
        ignored += 1
        return true
    }

    func selectedProposalMessage(_ message: CharonMessage) -> Bool {
        guard let proposal = TextBytes.range(of: "selected proposal: ", in: message.text) else { return false }
        selectedProposal(message.text[proposal.upperBound...], scope: message.scope, line: message.line)
        return true
    }

    /// `parsed IKE_AUTH request|response …`: which side the job's host played.
    func parsedMessage(_ message: CharonMessage) -> Bool {
        guard let role = CharonLogText.parsedRole(message.text) else { return false }
        jobs[message.scope.job, default: CharonJob(start: message.line)].role = role
        ignored += 1
        return true
    }

    /// A restart: unique ids start again at 1, threads are new. What was pending is done.
    func daemonStarted(line: Int) {
        guard seenSinceStart else { return }
        for (_, dump) in dumps {
            dumpBroken(dump, line: dump.line, why: "the daemon restarted before its hexdump ended")
        }
        dumps = [:]
        closeJobs()
        jobs = [:]
        rekeyingChildren = [:]
        run += 1
        seenSinceStart = false
    }

    func selectedProposal(_ raw: Substring, scope: CharonLogScope, line: Int) {
        seenSinceStart = true
        var text = raw
        while let last = text.last, last == " " { text = text.dropLast() }
        let proposal = CharonProposal(text: text, line: line)
        if TextBytes.hasPrefix("IKE:", text) {
            lastIKEProposal = proposal
            jobs[scope.job, default: CharonJob(start: line)].ikeProposal = proposal
            // The first is the IKE SA's own; a rekey logs the new IKE SA's under the old name.
            if let id = scope.ikeSA {
                updateFacts(ikeSAKey(scope, id)) { if $0.ikeProposal == nil { $0.ikeProposal = proposal } }
            }
            if let pair = jobs[scope.job]?.spis.last?.pair, proposalBySPIs.count < Self.maxTrackedIKESAs {
                proposalBySPIs[pair] = proposal
            }
        } else if TextBytes.hasPrefix("ESP:", text) || TextBytes.hasPrefix("AH:", text) {
            lastESPProposal = proposal
            jobs[scope.job, default: CharonJob(start: line)].espProposal = proposal
            if let id = scope.ikeSA { updateFacts(ikeSAKey(scope, id)) { $0.espProposal = proposal } }
        } else {
            ignored += 1
        }
    }

    // MARK: - End

    func finish() throws -> KeySet {
        for (_, dump) in dumps.sorted(by: { $0.value.line < $1.value.line }) {
            dumpBroken(dump, line: dump.line, why: "the log ends before its hexdump does")
        }
        dumps = [:]
        closeJobs()
        try emitIKESAs()
        if ignored > 0 { note(.ignored, 0, "\(ignored) log lines carry nothing about keys") }
        keys.notes.sort { $0.line < $1.line }
        return keys
    }
}

/// What one job of one thread showed (or, where lines name no IKE SA, all that is known of
/// the IKE SA it worked on).
struct CharonJob {
    var start: Int
    var role: CharonExchangeRole?
    var ikeProposal: CharonProposal?
    var espProposal: CharonProposal?
    /// Complete SPI pairs the job dumped, in order.
    var spis: [(pair: IKESPIPairValue, line: Int, how: String)] = []
    /// The IKE key record this job's key dumps fill.
    var ikeRecord: Int?
    /// The IKE SA the job's text names (`IKE_SA name[N]`), when lines carry no unique id.
    var namedIKESA: UInt32?
    /// A `checkout … with SPIs` line waiting for the `IKE_SA name[N] successfully checked out`
    /// after it.
    var checkout: (pair: IKESPIPairValue, line: Int)?
    /// CHILD_SA keys and SPI lines, until the CHILD_SA's `established` line.
    var child: CharonChildBuild?
    /// `adding inbound ESP SA` and the like: the next `SPI 0x…` line's direction.
    var direction: (inbound: Bool, ah: Bool)?
    /// The last CHILD_SA this job made: its note, and its name (a responder marks the
    /// CHILD_SA it replaces as rekeyed only after the new one is installed).
    var lastChild: (note: Int, name: Substring)?
    /// An IKE SA rekey in this job: the one being rekeyed and the one made.
    var rekeyingIKESA: UInt32?
    var rekeyedIKESA: UInt32?
}

/// What the log says of one IKE SA of one daemon run, by its unique id.
struct CharonIKESAFacts {
    var spis: (pair: IKESPIPairValue, line: Int, how: String)?
    var ikeProposal: CharonProposal?
    var espProposal: CharonProposal?
    var name: Substring?
    /// The IKE SA this one rekeyed (`IKE_SA name[M] rekeyed between` logged by the old one).
    var rekeyOf: UInt32?
    var rekeyLine: Int?
}
