/// One IKE SA's keys as the log dumped them, and what tied them to their SPIs.
struct CharonIKEKeyRecord {
    var sa: IKESecurityAssociation
    /// Where the first key was logged.
    var scope: CharonLogScope
    /// The IKE SA's unique id, from the line prefix or from the job's text.
    var ikeSA: CharonIKESAKey?
    var keyLines: [CharonLogDump.IKEKeyName: Int] = [:]
    var firstLine: Int
    var lastLine: Int
    /// A line after the keys named the IKE SA they made (`IKE_SA name[N] established …`).
    var namedByText = false
    /// SPIs found in the same job.
    var spis: (pair: IKESPIPairValue, line: Int, how: String)?
    /// The job's `selected proposal: IKE:` line, and the most recent one anywhere.
    var proposal: CharonProposal?
    var latestProposal: CharonProposal?

    var version: IKESecurityAssociation.Version { sa.version }
}

extension CharonKeyTracker {
    // MARK: - Keys

    func ikeKey(_ name: CharonLogDump.IKEKeyName, _ bytes: SecretBytes, line: Int, scope: CharonLogScope) throws {
        seenSinceStart = true
        let v1 = name.isIKEv1
        var job = jobs[scope.job] ?? CharonJob(start: line)
        let opensNewSet =
            job.ikeRecord.map { index in
                (ikeRecords[index].version == .v1) != v1 || (name.startsKeySet && !ikeRecords[index].keyLines.isEmpty)
            } ?? true
        if opensNewSet {
            // A new key set. Its IKE SA is the one the line names for now: charon 5.9 logs
            // the keys of an IKE SA made by a rekey it initiated under the old IKE SA's name,
            // and the lines after them in the job say which IKE SA they made.
            try checkCount(line)
            let named = scope.ikeSA ?? job.namedIKESA
            var record = newRecord(v1: v1, line: line, scope: scope, ikeSA: named.map { ikeSAKey(scope, $0) })
            record.spis = job.spis.last.map {
                ($0.pair, $0.line, "\($0.how) at line \($0.line), in the same job (\(jobName(scope)))")
            }
            record.proposal = job.ikeProposal ?? scope.ikeSA.flatMap { ikeSAs[ikeSAKey(scope, $0)]?.ikeProposal }
            ikeRecords.append(record)
            job.ikeRecord = ikeRecords.count - 1
        }
        let index = job.ikeRecord!
        jobs[scope.job] = job
        ikeRecords[index].keyLines[name] = line
        ikeRecords[index].lastLine = line
        switch name {
        case .skeyseed: break  // not a key of the SA; it only opens the set
        case .skD: ikeRecords[index].sa.skD = bytes
        case .skAi: ikeRecords[index].sa.skAi = bytes
        case .skAr: ikeRecords[index].sa.skAr = bytes
        case .skEi: ikeRecords[index].sa.skEi = bytes
        case .skEr: ikeRecords[index].sa.skEr = bytes
        case .skPi: ikeRecords[index].sa.skPi = bytes
        case .skPr: ikeRecords[index].sa.skPr = bytes
        case .skeyid: ikeRecords[index].sa.skeyid = bytes
        case .skeyidD: ikeRecords[index].sa.skeyidD = bytes
        case .skeyidA: ikeRecords[index].sa.skeyidA = bytes
        case .skeyidE: ikeRecords[index].sa.skeyidE = bytes
        case .ka: ikeRecords[index].sa.ikev1EncryptionKey = bytes
        }
    }

    func newRecord(v1: Bool, line: Int, scope: CharonLogScope, ikeSA: CharonIKESAKey?) -> CharonIKEKeyRecord {
        let sa = IKESecurityAssociation(
            version: v1 ? .v1 : .v2, initiatorSPI: 0, responderSPI: nil,
            origin: SAOrigin(file: file, line: line))
        return CharonIKEKeyRecord(
            sa: sa, scope: scope, ikeSA: ikeSA, firstLine: line, lastLine: line,
            latestProposal: lastIKEProposal)
    }

    /// "thread 13", or how a log without thread numbers orders its jobs.
    func jobName(_ scope: CharonLogScope) -> String {
        scope.thread.map { "thread \($0)" } ?? "log order: the log names no threads"
    }

    // MARK: - SPIs

    /// An SPI pair the log dumped (NAT-D input, AUTH octets).
    func sawSPIs(_ pair: IKESPIPairValue, how: String, line: Int, scope: CharonLogScope) {
        guard pair.isComplete else { return }
        seenSinceStart = true
        if let id = scope.ikeSA {
            learnSPIs(pair, of: ikeSAKey(scope, id), line: line, how: "\(how) at line \(line)")
        }
        var job = jobs[scope.job] ?? CharonJob(start: line)
        job.spis.append((pair, line, how))
        if let proposal = job.ikeProposal, proposalBySPIs[pair] == nil, proposalBySPIs.count < Self.maxTrackedIKESAs {
            proposalBySPIs[pair] = proposal
        }
        if let id = job.namedIKESA, scope.ikeSA == nil {
            learnSPIs(
                pair, of: ikeSAKey(scope, id), line: line, how: "\(how) at line \(line), in a job of IKE_SA [\(id)]")
        }
        // A responder derives its keys before it dumps the AUTH octets of the same job.
        if let index = job.ikeRecord, ikeRecords[index].spis == nil {
            ikeRecords[index].spis = (
                pair, line, "\(how) at line \(line), after the keys in the same job (\(jobName(scope)))"
            )
        }
        jobs[scope.job] = job
    }

    // MARK: - IKE SA messages (`messageRules`)

    /// The manager's `checkin|checkout … with SPIs` lines.
    func ikeSACheckMessage(_ message: CharonMessage) -> Bool {
        let text = message.text
        let scope = message.scope
        let line = message.line
        if TextBytes.hasPrefix("checkin ", text) || TextBytes.hasPrefix("checkout ", text),
            let pair = CharonLogText.spiPair(text)
        {
            // "checkin IKEv2 SA spiglass[2] with SPIs …" names its IKE SA; a checkout line is
            // followed by "IKE_SA spiglass[2] successfully checked out" (or carries the name).
            let named =
                CharonLogText.namedIKESA(after: "v2 SA ", in: text)
                ?? CharonLogText.namedIKESA(after: "v1 SA ", in: text)
            if pair.isComplete, let id = named ?? scope.ikeSA {
                learnSPIs(
                    pair, of: ikeSAKey(scope, id), line: line,
                    how: "'\(text.prefix { $0 != " " }) … with SPIs' line \(line)")
            } else if pair.isComplete, TextBytes.hasPrefix("checkout ", text) {
                jobs[scope.job, default: CharonJob(start: line)].checkout = (pair, line)
            }
            ignored += 1
            return true
        }
        return false
    }

    /// Lines that name an IKE SA (`IKE_SA name[N]`): state changes, rekeys, checkouts.
    func namedIKESAMessage(_ message: CharonMessage) -> Bool {
        let text = message.text
        let scope = message.scope
        let line = message.line
        guard let id = CharonLogText.namedIKESA(after: "IKE_SA ", in: text) else { return false }
        seenSinceStart = true
        let key = ikeSAKey(scope, id)
        var job = jobs[scope.job] ?? CharonJob(start: line)
        if TextBytes.hasSuffix("successfully checked out", text), let checkout = job.checkout {
            learnSPIs(checkout.pair, of: key, line: checkout.line, how: "'checkout … with SPIs' line \(checkout.line)")
            job.checkout = nil
        }
        if scope.ikeSA == nil { job.namedIKESA = id }
        // A line after the keys, in their job, that names the IKE SA they made.
        if let index = job.ikeRecord, !ikeRecords[index].namedByText,
            TextBytes.contains(" established between ", in: text) || TextBytes.contains(" rekeyed between ", in: text)
                || TextBytes.hasSuffix("CONNECTING => ESTABLISHED", text)
        {
            ikeRecords[index].ikeSA = key
            ikeRecords[index].namedByText = true
        }
        if TextBytes.contains(" state change: ", in: text)
            && (TextBytes.hasSuffix("=> REKEYING", text) || TextBytes.hasSuffix("=> REKEYED", text))
        {
            job.rekeyingIKESA = id
        }
        if TextBytes.contains(" rekeyed between ", in: text) {
            job.rekeyedIKESA = id
        }
        if let new = job.rekeyedIKESA {
            let old = scope.ikeSA.flatMap { $0 != new ? $0 : nil } ?? job.rekeyingIKESA.flatMap { $0 != new ? $0 : nil }
            if let old, ikeSAs[ikeSAKey(scope, new)]?.rekeyOf == nil {
                updateFacts(ikeSAKey(scope, new)) {
                    $0.rekeyOf = old
                    $0.rekeyLine = line
                }
            }
        }
        jobs[scope.job] = job
        // `IKE_SA name[id]`; a line whose "IKE_SA " comes after the first "[id]" names nothing.
        if let nameEnd = text.firstRange(of: "[\(id)]"), let start = TextBytes.range(of: "IKE_SA ", in: text),
            start.upperBound <= nameEnd.lowerBound
        {
            let name = text[start.upperBound..<nameEnd.lowerBound]
            if name != "(unnamed)", !name.contains(" ") { updateFacts(key) { $0.name = name } }
        }
        ignored += 1
        return true
    }

    func learnSPIs(_ pair: IKESPIPairValue, of key: CharonIKESAKey, line: Int, how: String) {
        seenSinceStart = true
        updateFacts(key) { if $0.spis == nil { $0.spis = (pair, line, how) } }
    }

    /// Jobs end with the daemon (restart) or the log: nothing of theirs is still pending
    /// except CHILD_SA keys that never saw their `established` line.
    func closeJobs() {
        for (_, job) in jobs.sorted(by: { $0.value.start < $1.value.start }) {
            guard let child = job.child, !child.keys.isEmpty else { continue }
            let lines = child.keyLines.values.sorted()
            note(
                .warning, lines.first ?? job.start,
                "CHILD_SA keys at lines \(lineList(lines)), but no 'CHILD_SA … established with SPIs' line follows in their job; no SA made from them"
            )
        }
    }

    func lineList(_ lines: [Int]) -> String {
        guard let first = lines.first, let last = lines.last else { return "?" }
        return first == last ? "\(first)" : "\(first)–\(last)"
    }

    // MARK: - Emission

    func emitIKESAs() throws {
        for record in ikeRecords {
            try emit(record)
        }
    }

    func emit(_ record: CharonIKEKeyRecord) throws {
        let facts = record.ikeSA.flatMap { ikeSAs[$0] }
        var sa = record.sa
        let label = describe(record, facts: facts)
        let keyNames = CharonLogDump.IKEKeyName.allCases.filter { $0 != .skeyseed && record.keyLines[$0] != nil }.map(
            \.shortName)
        let keyText = "keys \(keyNames.joined(separator: " ")) (lines \(lineList([record.firstLine, record.lastLine])))"

        // SPIs: the same job's dumps, else what the log says of the IKE SA by unique id.
        let spis =
            record.spis.map { ($0.pair, "from the \($0.how)") }
            ?? facts?.spis.map { ($0.pair, "from the \($0.how), tied by \(tieRule(record))") }
        // Proposal: the job's, the IKE SA's, the one logged with the same SPIs, the latest.
        var proposal = record.proposal ?? facts?.ikeProposal
        if proposal == nil, let pair = spis?.0 { proposal = proposalBySPIs[pair] }
        var assumed = false
        if proposal == nil, let latest = record.latestProposal {
            proposal = latest
            assumed = true
        }
        var unknown: [String] = []
        if let proposal {
            unknown = apply(proposal, to: &sa)
        }
        var parts = ["\(sa.version == .v2 ? "IKEv2" : "IKEv1")\(algorithmText(sa))", keyText]
        if let rekey = facts?.rekeyOf, let ikeSA = record.ikeSA {
            let old = CharonIKESAKey(source: ikeSA.source, run: ikeSA.run, uniqueID: rekey)
            parts.append("rekey of \(shownIKESA(old))" + (ikeSAs[old]?.spis.map { " (\($0.pair.shown))" } ?? ""))
        }
        var heading = label
        if let (pair, how) = spis {
            sa.initiatorSPI = pair.initiator
            sa.responderSPI = pair.responder
            heading += " \(pair.shown)"
            parts.append("SPIs \(how)")
        } else {
            sa.binding = .byIntegrity(hint: "\(file):\(record.firstLine)")
        }
        let message = heading + ": " + parts.joined(separator: "; ")
        var warnings: [String] = []
        if proposal == nil {
            warnings.append("no 'selected proposal: IKE:' line for it; algorithms unknown")
        } else if assumed, let proposal {
            warnings.append("its proposal is not tied to it; taking the one at line \(proposal.line)")
        }
        if !unknown.isEmpty {
            warnings.append("proposal names not understood: \(KeyMaterial.redacted(unknown.joined(separator: ", ")))")
        }
        if sa.version == .v2, let enc = sa.encryption, let length = enc.keyMaterialLength, !sa.skEi.isEmpty,
            sa.skEi.count != length
        {
            warnings.append("SK_ei has \(sa.skEi.count) bytes but \(enc.name) takes \(length)")
        }
        if spis == nil {
            let hint =
                sa.version == .v2
                ? "Spiglass binds them to the IKE SA of a capture whose messages verify with them"
                : "IKEv1 keys cannot be bound without the cookies (charon logs them in the NAT-D dumps and, with mgr at level 2, in its checkin lines)"
            warnings.append("the log never shows its SPIs (charon logs them with mgr at level 2); \(hint)")
            sa.initiatorSPI = 0
            sa.responderSPI = nil
        }
        if warnings.isEmpty {
            note(.understood, record.firstLine, message)
        } else {
            note(.warning, record.firstLine, message + "; " + warnings.joined(separator: "; "))
        }
        if spis == nil, sa.version == .v1 { return }
        try checkCount(record.firstLine)
        keys.ikeSAs.append(sa)
    }

    /// Fills the algorithms from `IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048`;
    /// returns the names not understood.
    func apply(_ proposal: CharonProposal, to sa: inout IKESecurityAssociation) -> [String] {
        var unknown: [String] = []
        for token in proposal.text.dropFirst("IKE:".count).split(separator: "/") {
            let t = String(token)
            if sa.encryption == nil, let enc = StrongSwanProposalNames.ikeEncryption(t) {
                sa.encryption = enc
                continue
            }
            if sa.integrity == nil, let integ = StrongSwanProposalNames.ikeIntegrity(t) {
                sa.integrity = integ
                continue
            }
            if sa.prf == nil, let prf = StrongSwanProposalNames.ikePRF(t) {
                sa.prf = prf
                continue
            }
            if StrongSwanProposalNames.isGroupOrFlag(t) { continue }
            unknown.append(t)
        }
        if sa.integrity == nil, sa.encryption?.isAEAD == true { sa.integrity = IKEIntegrityAlgorithm.none }
        return unknown
    }

    /// " aes-cbc-128/hmac-sha2-256-128/prf-hmac-sha2-256", or "" when unknown.
    func algorithmText(_ sa: IKESecurityAssociation) -> String {
        var text = ""
        if let enc = sa.encryption { text += " \(enc.name)" }
        if let integ = sa.integrity, integ != .none { text += "/\(integ.name)" }
        if let prf = sa.prf { text += "/prf-\(prf.name)" }
        return text
    }

    /// "IKE_SA spiglass[2]", "IKE_SA [2]" (no name known), or how its keys were found.
    func describe(_ record: CharonIKEKeyRecord, facts: CharonIKESAFacts?) -> String {
        let base = record.ikeSA.map { shownIKESA($0) } ?? "IKE_SA (unnamed; keys on \(jobName(record.scope)))"
        return run > 1 ? "\(base) of daemon run \(record.scope.run)" : base
    }

    /// As charon's messages name it: "IKE_SA spiglass[2]" (`<spiglass|2>` with ike_name).
    func shownIKESA(_ key: CharonIKESAKey) -> String {
        "IKE_SA \(ikeSAs[key]?.name.map(String.init) ?? "")[\(key.uniqueID)]"
    }

    func tieRule(_ record: CharonIKEKeyRecord) -> String {
        if record.namedByText { return "the IKE_SA named after its keys (\(jobName(record.scope)))" }
        return record.scope.ikeSA != nil ? "the IKE_SA's unique id" : "the IKE_SA named in the job of its keys"
    }
}
