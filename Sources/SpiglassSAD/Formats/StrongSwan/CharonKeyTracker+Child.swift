import SpiglassWire

/// A CHILD_SA's keys and SPI lines as one job logs them, until its `established` line.
struct CharonChildBuild {
    var keys: [CharonLogDump.ChildKeyName: SecretBytes] = [:]
    var keyLines: [CharonLogDump.ChildKeyName: Int] = [:]
    var spis: [SPILine] = []
    /// `using AES_CBC for encryption`: the algorithm when no proposal line is tied to it.
    var encryptionName: String?
    var integrityName: String?

    struct SPILine {
        var spi: UInt32
        var source: IPAddress?
        var destination: IPAddress?
        var ah: Bool
    }
}

extension CharonKeyTracker {
    func childKey(_ name: CharonLogDump.ChildKeyName, _ bytes: SecretBytes, line: Int, scope: CharonLogScope) {
        seenSinceStart = true
        var job = jobs[scope.job] ?? CharonJob(start: line)
        var child = job.child ?? CharonChildBuild()
        if child.keys[name] != nil {
            let lines = child.keyLines.values.sorted()
            note(
                .warning, lines.first ?? line,
                "CHILD_SA keys at lines \(lineList(lines)), but no 'CHILD_SA … established with SPIs' line follows in their job; no SA made from them"
            )
            child = CharonChildBuild()
        }
        child.keys[name] = bytes
        child.keyLines[name] = line
        job.child = child
        jobs[scope.job] = job
    }

    // MARK: - CHILD_SA messages (`messageRules`)

    /// `adding inbound ESP SA` and the like: the next `SPI 0x…` line's direction.
    func childDirectionMessage(_ message: CharonMessage) -> Bool {
        let text = message.text
        guard
            TextBytes.hasPrefix("adding inbound ", text) || TextBytes.hasPrefix("adding outbound ", text)
                || TextBytes.hasPrefix("registering outbound ", text)
                || TextBytes.hasPrefix("registering inbound ", text)
        else { return false }
        jobs[message.scope.job, default: CharonJob(start: message.line)].direction =
            (TextBytes.contains("inbound", in: text), TextBytes.contains(" AH SA", in: text))
        ignored += 1
        return true
    }

    func childSPIMessage(_ message: CharonMessage) -> Bool {
        guard TextBytes.hasPrefix("SPI 0x", message.text) else { return false }
        let scope = message.scope
        let direction = jobs[scope.job]?.direction
        if let spi = Self.spiLine(message.text, ah: direction?.ah ?? false) {
            var job = jobs[scope.job] ?? CharonJob(start: message.line)
            var child = job.child ?? CharonChildBuild()
            if child.spis.count < 64 { child.spis.append(spi) }
            job.child = child
            job.direction = nil
            jobs[scope.job] = job
        }
        return true
    }

    /// `using AES_CBC for encryption`, `using HMAC_SHA2_256_128 for integrity`.
    func childAlgorithmMessage(_ message: CharonMessage) -> Bool {
        let text = message.text
        let encryption = TextBytes.hasSuffix(" for encryption", text)
        guard TextBytes.hasPrefix("using ", text), encryption || TextBytes.hasSuffix(" for integrity", text) else {
            return false
        }
        var job = jobs[message.scope.job] ?? CharonJob(start: message.line)
        var child = job.child ?? CharonChildBuild()
        let name = String(text.dropFirst("using ".count).prefix { $0 != " " })
        if encryption {
            child.encryptionName = name
        } else {
            child.integrityName = name
        }
        job.child = child
        jobs[message.scope.job] = job
        return true
    }

    func childEstablishedMessage(_ message: CharonMessage) throws -> Bool {
        let text = message.text
        guard TextBytes.contains(" established with SPIs ", in: text),
            TextBytes.hasPrefix("CHILD_SA ", text) || TextBytes.hasPrefix("inbound CHILD_SA ", text)
        else {
            return false
        }
        try finishChild(text, scope: message.scope, line: message.line)
        return true
    }

    func outboundChildMessage(_ message: CharonMessage) -> Bool {
        guard TextBytes.hasPrefix("outbound CHILD_SA ", message.text) else { return false }
        // charon 5.9 installs the outbound SA of a rekey later; its keys came with the inbound one.
        ignored += 1
        return true
    }

    /// `CHILD_SA name{n} state change: A => B`: rekeys begin and end.
    func childStateMessage(_ message: CharonMessage) -> Bool {
        let text = message.text
        let scope = message.scope
        guard let name = CharonLogText.childName(after: "CHILD_SA ", in: text),
            TextBytes.contains(" state change: ", in: text)
        else {
            return false
        }
        if TextBytes.hasSuffix("=> REKEYING", text), let last = jobs[scope.job]?.lastChild, last.name != name,
            last.name.prefix(while: { $0 != "{" }) == name.prefix(while: { $0 != "{" })
        {
            // The CHILD_SA this job just made replaces this one (notes hold escaped text).
            let heading = DisplayText.escaped("CHILD_SA \(last.name)")
            let message = keys.notes[last.note].message
            if message.hasPrefix(heading + ":") {
                keys.notes[last.note].message =
                    heading + DisplayText.escaped(" (rekey of \(name))") + message.dropFirst(heading.count)
            }
            jobs[scope.job]?.lastChild = nil
        }
        let rekeyScope = Self.rekeyScope(scope)
        if TextBytes.hasSuffix("=> REKEYING", text) {
            noteRekeying(name, in: rekeyScope)
        } else if !TextBytes.hasSuffix("=> INSTALLING", text) && !TextBytes.hasSuffix("=> INSTALLED", text)
            && !TextBytes.hasSuffix("=> REKEYED", text)
        {
            rekeyingChildren[rekeyScope]?.removeAll { $0 == name }
        }
        ignored += 1
        return true
    }

    func childRekeyDetectedMessage(_ message: CharonMessage) -> Bool {
        guard let name = CharonLogText.childName(after: "detected rekeying of CHILD_SA ", in: message.text) else {
            return false
        }
        noteRekeying(name, in: Self.rekeyScope(message.scope))
        ignored += 1
        return true
    }

    /// Rekeys are followed per IKE SA (or per run where lines name none), whatever the thread.
    static func rekeyScope(_ scope: CharonLogScope) -> CharonLogScope {
        CharonLogScope(source: scope.source, run: scope.run, thread: nil, ikeSA: scope.ikeSA)
    }

    /// A CHILD_SA being rekeyed, for the "rekey of" of the one that replaces it (a few per IKE
    /// SA, for a bounded number of IKE SAs).
    func noteRekeying(_ name: Substring, in scope: CharonLogScope) {
        guard rekeyingChildren[scope] != nil || rekeyingChildren.count < Self.maxTrackedIKESAs else { return }
        if rekeyingChildren[scope, default: []].count < 64 { rekeyingChildren[scope, default: []].append(name) }
    }

    /// "SPI 0xf8aeee77, src 10.99.0.2 dst 10.99.0.1"
    static func spiLine(_ text: Substring, ah: Bool) -> CharonChildBuild.SPILine? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," })
        guard words.count >= 2, words[1].hasPrefix("0x"), let spi = UInt32(words[1].dropFirst(2), radix: 16) else {
            return nil
        }
        var source: IPAddress? = nil
        var destination: IPAddress? = nil
        var i = 2
        while i + 1 < words.count {
            if words[i] == "src" { source = IPAddress(hostPart(words[i + 1])) }
            if words[i] == "dst" { destination = IPAddress(hostPart(words[i + 1])) }
            i += 1
        }
        return CharonChildBuild.SPILine(spi: spi, source: source, destination: destination, ah: ah)
    }

    /// "10.0.0.1[4500]" → "10.0.0.1".
    static func hostPart(_ word: Substring) -> Substring {
        if let bracket = word.firstIndex(of: "[") { return word[..<bracket] }
        return word
    }

    /// `[inbound ]CHILD_SA net{1} established with SPIs f8aeee77_i 5e81594e_o and TS …`:
    /// one SA per direction from the job's keys.
    func finishChild(_ text: Substring, scope: CharonLogScope, line: Int) throws {
        seenSinceStart = true
        guard let established = Self.establishedLine(text) else {
            note(.warning, line, "a CHILD_SA line without 'name{n} established with SPIs <8 hex>_i <8 hex>_o'; skipped")
            return
        }
        let fullName = established.name
        var job = jobs[scope.job] ?? CharonJob(start: line)
        let child = job.child
        job.child = nil
        jobs[scope.job] = job
        let spiText =
            "SPIs \(KeyDumpTextFormat.hex32(established.inbound)) in, \(KeyDumpTextFormat.hex32(established.outbound)) out"
        guard let child, child.keys[.encryptionInitiator] != nil || child.keys[.integrityInitiator] != nil else {
            note(
                .warning, line,
                "CHILD_SA \(fullName) \(spiText): its keys are not in its job (chd below level 4, or logged on another thread)"
            )
            return
        }
        let label = String(fullName.prefix { $0 != "{" })
        let rekeyOf = rekeyingChildren[Self.rekeyScope(scope)]?.last { $0 != fullName && $0.hasPrefix(label + "{") }
        let heading = "CHILD_SA \(fullName)" + (rekeyOf.map { " (rekey of \($0))" } ?? "")

        let facts = scope.ikeSA.flatMap { ikeSAs[ikeSAKey(scope, $0)] }
        let tied = job.espProposal ?? facts?.espProposal
        guard let proposal = tied ?? lastESPProposal else {
            note(
                .warning, line,
                "\(heading) \(spiText): no 'selected proposal: ESP:' line before it; algorithms unknown, no SA made")
            return
        }
        let algorithms = childAlgorithms(proposal, child: child, spis: child.spis)
        if !algorithms.unknown.isEmpty {
            note(
                .warning, proposal.line,
                "proposal names not understood: \(KeyMaterial.redacted(algorithms.unknown.joined(separator: ", ")))")
        }
        guard algorithms.encryption != nil else {
            note(
                .warning, proposal.line,
                "\(heading): no encryption algorithm Spiglass knows in the proposal at line \(proposal.line); no SA made"
            )
            return
        }
        // The initiator→responder direction first, then the other.
        let role = Self.role(job.role)
        let directions: [(spi: UInt32, side: CharonExchangeRole)] =
            role.initiator
            ? [(established.outbound, .initiator), (established.inbound, .responder)]
            : [(established.inbound, .initiator), (established.outbound, .responder)]
        var (made, problems, algorithmText) = try makeSAs(
            directions, child: child, algorithms: algorithms, label: label, line: line)
        if tied == nil { problems.append("its proposal is not tied to it; taking the one at line \(proposal.line)") }
        let parts = [
            made.joined(separator: ", "), algorithmText + (algorithms.esn ? " esn" : ""),
            "keys at lines \(lineList(child.keyLines.values.sorted()))", role.text,
            "tied by its job (\(jobName(scope))\(scope.ikeSA.map { ", IKE_SA unique id \($0)" } ?? ""))",
        ]
        let message = "\(heading): " + parts.filter { !$0.isEmpty }.joined(separator: "; ")
        if problems.isEmpty && made.count == 2 {
            note(.understood, line, message)
        } else {
            note(.warning, line, message + "; " + problems.joined(separator: "; "))
        }
        if rekeyOf == nil { jobs[scope.job]?.lastChild = (keys.notes.count - 1, fullName) }
    }

    /// One SA per direction; what was made (for the note), what went wrong, and the algorithms.
    func makeSAs(
        _ directions: [(spi: UInt32, side: CharonExchangeRole)], child: CharonChildBuild, algorithms: ChildAlgorithms,
        label: String, line: Int
    ) throws -> (made: [String], problems: [String], algorithmText: String) {
        var made: [String] = []
        var problems: [String] = []
        var algorithmText = ""
        for (spi, side) in directions {
            switch try makeSA(spi: spi, keysOf: side, child: child, algorithms: algorithms, label: label, line: line) {
            case .success(let sa):
                algorithmText = sa.algorithmDescription
                let spiInfo = child.spis.last { $0.spi == spi }
                made.append(
                    "\(sa.ipsecProtocol == .ah ? "AH" : "ESP") \(KeyDumpTextFormat.hex32(spi)) \(sa.source) → \(sa.destination) (\(side) keys)"
                        + (spiInfo == nil ? " [no 'SPI 0x…, src … dst …' line: addresses unknown]" : ""))
                if case .unsupported(let name) = sa.encryption { problems.append("\(name) is not supported yet") }
            case .failure(let problem):
                problems.append(problem.text)
            }
        }
        return (made, problems, algorithmText)
    }

    /// "net{1}", the inbound SPI (`_i`) and the outbound one (`_o`).
    static func establishedLine(_ text: Substring) -> (name: Substring, inbound: UInt32, outbound: UInt32)? {
        guard let name = CharonLogText.childName(after: "CHILD_SA ", in: text),
            let range = TextBytes.range(of: " established with SPIs ", in: text)
        else { return nil }
        let words = text[range.upperBound...].split(separator: " ", maxSplits: 2)
        func spi(_ word: Substring?, _ suffix: String) -> UInt32? {
            guard let word, word.hasSuffix(suffix) else { return nil }
            let digits = word.dropLast(suffix.count)
            guard digits.count == 8 else { return nil }
            return UInt32(digits, radix: 16)
        }
        guard let inbound = spi(words.first, "_i"), let outbound = spi(words.count > 1 ? words[1] : nil, "_o") else {
            return nil
        }
        return (name, inbound, outbound)
    }

    /// Which side initiated the exchange that made the CHILD_SA, and how the job said so.
    static func role(_ parsed: CharonExchangeRole?) -> (initiator: Bool, text: String) {
        switch parsed {
        case .initiator?: return (true, "this host initiated the exchange (a response parsed in the same job)")
        case .responder?: return (false, "this host answered the exchange (a request parsed in the same job)")
        case nil: return (false, "no request or response parsed in its job: assuming this host answered the exchange")
        }
    }

    struct SAProblem: Error {
        var text: String
    }

    /// The SA of one direction, keyed with the initiator's or the responder's keys.
    func makeSA(
        spi: UInt32, keysOf side: CharonExchangeRole, child: CharonChildBuild, algorithms: ChildAlgorithms,
        label: String, line: Int
    ) throws -> Result<SecurityAssociation, SAProblem> {
        guard let (enc, keyBits) = algorithms.encryption else {
            return .failure(SAProblem(text: "no encryption algorithm"))
        }
        let encName: CharonLogDump.ChildKeyName = side == .initiator ? .encryptionInitiator : .encryptionResponder
        let integName: CharonLogDump.ChildKeyName = side == .initiator ? .integrityInitiator : .integrityResponder
        let keyLine = child.keyLines[encName] ?? child.keyLines[integName] ?? line
        let spiInfo = child.spis.last { $0.spi == spi }
        let ah = algorithms.ah
        var sa = SecurityAssociation(
            spi: SPI(spi),
            source: spiInfo?.source.map { .exact($0) } ?? .any,
            destination: spiInfo?.destination.map { .exact($0) } ?? .any,
            encryption: enc, encryptionKey: ah ? SecretBytes() : (child.keys[encName] ?? SecretBytes()),
            integrity: enc.isAEAD ? .null : (algorithms.integrity ?? .null),
            integrityKey: enc.isAEAD ? SecretBytes() : (child.keys[integName] ?? SecretBytes()),
            extendedSequenceNumbers: algorithms.esn, origin: SAOrigin(file: file, line: line))
        sa.ipsecProtocol = ah ? .ah : .esp
        sa.label = label
        do {
            try SAValidation.checkKeys(
                &sa, file: file, line: keyLine, encryptionField: encName.rawValue,
                integrityField: integName.rawValue, requiredKeyBits: keyBits)
        } catch let error as KeyFileError {
            return .failure(
                SAProblem(
                    text:
                        "\(side) keys not used: line \(error.line)\(error.field.map { " '\($0)'" } ?? ""): \(error.message)"
                ))
        }
        try checkCount(line)
        keys.sas.append(sa)
        return .success(sa)
    }

    struct ChildAlgorithms {
        var encryption: (EncryptionAlgorithm, Int?)?
        var integrity: IntegrityAlgorithm?
        var esn = false
        var ah = false
        var unknown: [String] = []
    }

    func childAlgorithms(_ proposal: CharonProposal, child: CharonChildBuild, spis: [CharonChildBuild.SPILine])
        -> ChildAlgorithms
    {
        var result = ChildAlgorithms()
        result.ah = TextBytes.hasPrefix("AH:", proposal.text) || spis.contains { $0.ah }
        if result.ah { result.encryption = (.null, nil) }
        for token in proposal.text.drop(while: { $0 != ":" }).dropFirst().split(separator: "/") {
            let t = String(token)
            if t == "EXT_SEQ" {
                result.esn = true
                continue
            }
            if t == "NO_EXT_SEQ" { continue }
            if result.encryption == nil, let e = StrongSwanProposalNames.espEncryption(t) {
                result.encryption = e
                continue
            }
            if result.integrity == nil, let i = StrongSwanProposalNames.espIntegrity(t) {
                result.integrity = i
                continue
            }
            if StrongSwanProposalNames.isGroupOrFlag(t) { continue }
            result.unknown.append(t)
        }
        if result.encryption == nil, let name = child.encryptionName {
            result.encryption = StrongSwanProposalNames.espEncryption(name)
        }
        if result.integrity == nil, let name = child.integrityName {
            result.integrity = StrongSwanProposalNames.espIntegrity(name)
        }
        return result
    }
}

/// Hex helpers of the key-file parsers, for code that is not a `KeyDumpText`.
enum KeyDumpTextFormat: KeyDumpText {}
