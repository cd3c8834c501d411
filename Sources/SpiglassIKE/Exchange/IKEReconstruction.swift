import SpiglassCapture
import SpiglassSAD
import SpiglassWire

/// Rebuilds the IKEv2 story of a capture: messages decrypted with the keys given, paired into
/// exchanges, grouped by IKE SA, with CHILD_SAs and their SPIs, and ESP keys derived from
/// SK_d where no PFS was used. Feed it every IKE message in capture order; it keeps bounded
/// state. Not thread-safe; one per capture.
public final class IKEReconstruction {
    /// Bounds on what is kept; hitting one gives a diagnostic once and the rest goes on.
    public struct Limits: Sendable {
        /// IKE SAs tracked (each one holds its exchanges and children).
        public var maxIKESAs = 65_536
        /// Exchanges kept per IKE SA, and over all IKE SAs; later ones are not kept.
        public var maxExchangesPerIKESA = 4096
        public var maxExchanges = 200_000
        /// Message records kept for the final report (every message is still reported live),
        /// by count and by their bytes on the wire: a flood of big messages cannot fill memory.
        public var maxMessagesKept = 100_000
        public var maxMessageBytesKept = 32 << 20
        /// CHILD_SAs kept over all IKE SAs.
        public var maxChildSAs = 65_536

        public init() {}
    }

    public let limits: Limits
    public internal(set) var ikeSAs: [IKESARecord] = []
    public internal(set) var children: [ChildSARecord] = []
    public internal(set) var messages: [IKEMessageRecord] = []
    /// The messages counted as they came (`IKEMessageCounts`).
    public internal(set) var counts = IKEMessageCounts()
    public var ikev1Messages: Int { counts.ikev1 }
    public var droppedMessages: Int { counts.dropped }
    public var messageCount: Int { counts.decoded }
    public var decryptedCount: Int { counts.decrypted }
    public var integrityFailureCount: Int { counts.integrityFailures }
    public var captureDuplicateCount: Int { counts.captureDuplicates }
    /// Grows whenever an exchange settles a CHILD_SA's SPIs, so flows know when to look again.
    // Read by the analyzer for every packet: through a getter compiled here, since another
    // module reaching the stored property checks exclusivity at run time on every read.
    public var childGeneration: Int { settledChildSPIs }
    @exclusivity(unchecked) var settledChildSPIs = 0
    /// SAs derived from SK_d, in the order they were derived.
    public internal(set) var derivedSAs: [SecurityAssociation] = []

    /// Copies of a message at most this far apart (microseconds) are the capture seeing it
    /// twice (two interfaces, a capture merged with itself): the second is a capture duplicate,
    /// not a retransmission. A peer retransmits after half a second or more.
    public var captureDuplicateWindow: Int64 = 1000
    /// Decrypt IKEv2 messages whose integrity check fails (as tshark does), marking them
    /// `integrity: failed`: what they show is unauthenticated. Not for AES-CCM, whose
    /// plaintext OpenSSL withholds on a tag mismatch.
    public var decryptDespiteIntegrityFailure = false

    /// Called with each ESP/AH SA derived from IKE keys, so the pipeline can decrypt with it.
    public var onDerivedSA: ((SecurityAssociation) -> Void)?
    /// Called once per kind of problem (bounds hit, key errors).
    public var onDiagnostic: ((IKEDiagnostic) -> Void)?

    /// The IKE key sets, their lookups by SPIs, the bindings by integrity, the protections.
    var keyRing = IKEKeyRing()
    var keys: [IKESecurityAssociation] { keyRing.keys }
    /// Key sets bound to an IKE SA of the capture by their integrity check, in order.
    public var boundKeys: [IKESecurityAssociation] { keyRing.bound }
    /// Lookups beside the records: IKE SAs by SPIi, CHILD_SAs by SPI, message fingerprints.
    var lookups = IKEStoryLookups()
    /// What is under way: each IKE SA's state machine, messages still arriving in fragments,
    /// recent messages to tell capture duplicates by.
    var inFlight = IKEInFlight()
    /// What the limits are checked against: records kept, exchanges, warnings given.
    var usage = IKEUsage()

    struct FingerprintKey: Hashable {
        var ikeSA: Int
        var exchange: Int
        var isResponse: Bool
    }

    public init(keys: [IKESecurityAssociation], limits: Limits = Limits()) {
        self.limits = limits
        replaceKeys(keys)
    }

    /// Bytes of ISAKMP fragments held for reassembly.
    public var v1FragmentBytesHeld: Int { inFlight.v1Fragments.bytes }

    /// Fragmented messages still waiting for fragments.
    public var fragmentsPending: Int { inFlight.fragments.pendingCount }

    /// IKE key sets known (key-file lines, both versions).
    public var keyCount: Int { keys.count }

    /// Switches to new IKE keys (a reload): later messages open with them; what was already
    /// decoded stays as it was.
    public func replaceKeys(_ fresh: [IKESecurityAssociation]) {
        keyRing.replace(fresh)
        for index in inFlight.v1States.keys { inFlight.v1States[index]?.protection = .notMade }
        for index in ikeSAs.indices {
            if let keyIndex = keyIndex(ikeSAs[index].spis, version: ikeSAs[index].version) {
                ikeSAs[index].keysKnown = hasKeys(keys[keyIndex])
            }
        }
    }

    /// The CHILD_SA (index in `children`) an ESP or AH SPI belongs to, when an exchange
    /// negotiated it.
    public func childSA(spi: SPI) -> Int? { lookups.childBySPI[spi] }

    /// Called whenever an SPI is (re)assigned to a CHILD_SA, with the SPI and the CHILD_SA's
    /// index: how a parallel run's other workers keep their `childSA(spi:)` answers in step.
    public var onChildSPI: ((SPI, Int) -> Void)?

    /// Files the SPIs of CHILD_SA `index`, a new generation of `childSA(spi:)` answers.
    func noteChildSPIs(_ spis: [SPI], index: Int) {
        for spi in spis {
            lookups.childBySPI[spi] = index
            onChildSPI?(spi, index)
        }
        settledChildSPIs += 1
    }

    /// Decodes one IKE message and advances the story. Returns the message's record, or nil
    /// while a fragmented message is incomplete.
    @discardableResult
    public func process(_ datagram: IKEDatagram) -> IKEMessageRecord? {
        guard let header = IKEHeader.parse(datagram.bytes, range: datagram.range) else { return nil }
        var record = IKEMessageRecord(
            frames: [datagram.frame], time: datagram.time, header: header, source: datagram.source,
            destination: datagram.destination, sourcePort: datagram.sourcePort,
            destinationPort: datagram.destinationPort, transport: datagram.transport,
            length: datagram.range.count, payloads: .none(for: header.majorVersion), decryptedFrom: nil,
            decryption: .notEncrypted,
            integrity: .unchecked, retransmission: false, ikeSAIndex: nil, exchangeIndex: nil, problems: [],
            isResponse: header.isResponse, fromOriginalInitiator: header.isInitiator)
        if let original = inFlight.recentMessages.original(
            identity: [], bytes: datagram.bytes, range: datagram.range, time: datagram.time.totalMicroseconds,
            frame: datagram.frame, window: captureDuplicateWindow)
        {
            // Not decoded again, not paired, not counted: the story already has this message.
            record.captureDuplicateOf = original
            counts.captureDuplicates += 1
            return record
        }
        guard header.isIKEv2 else {
            guard header.majorVersion == 1 else { return nil }
            counts.ikev1 += 1
            return processV1(datagram, header: header)
        }
        let message: IKEv2Message
        // The IKE Length field bounds the message; bytes after it (UDP padding) are not part.
        var datagram = datagram
        if Int(header.length) >= IKEHeader.length && Int(header.length) < datagram.range.count {
            datagram.range = datagram.range.lowerBound..<(datagram.range.lowerBound + Int(header.length))
        }
        let cut = markCut(&record, datagram: datagram, header: header)
        switch IKEv2Parser.parseMessage(datagram.bytes, range: datagram.range, cutByCapture: cut) {
        case .success(let parsed): message = parsed
        case .failure(let problem):
            record.problems.append(.parse(problem))
            attach(&record, fingerprint: fingerprint(datagram.bytes, datagram.range))
            return keep(record)
        }
        record.problems += message.problems.map(IKEMessageProblem.parse)
        record.payloads = .v2(message.payloads.filter { !$0.isEncryptedContainer })
        var keyIndex = self.keyIndex(for: header)
        if keyIndex == nil, let last = message.payloads.last, last.isEncryptedContainer {
            keyIndex = bindByIntegrity(datagram, payloadOffset: last.range.lowerBound, header: header)
        }

        guard let last = message.payloads.last, last.isEncryptedContainer else {
            // A cut message whose chain stopped before its SK or SKF: the encrypted part is
            // what the capture lost.
            if cut && header.isEncrypted { record.decryption = .cutByCapture }
            attach(&record, fingerprint: fingerprint(datagram.bytes, datagram.range))
            return keep(record)
        }
        if case .encryptedFragment(let fragment) = last.body {
            return processFragment(
                record, fragment: fragment, payloadOffset: last.range.lowerBound, datagram: datagram,
                keyIndex: keyIndex)
        }
        // SK: open it when keys allow, then parse what it held.
        if let keyIndex {
            openSK(&record, datagram: datagram, payloadOffset: last.range.lowerBound, keyIndex: keyIndex)
        } else {
            record.decryption = .noKeys
        }
        attach(&record, fingerprint: fingerprint(datagram.bytes, datagram.range))
        return keep(record)
    }

    /// Opens a message's SK payload with its IKE SA's keys and parses what it held; a failed
    /// ICV is tried with the other sender's keys, to name keys given the wrong way round.
    private func openSK(_ record: inout IKEMessageRecord, datagram: IKEDatagram, payloadOffset: Int, keyIndex: Int) {
        let header = record.header
        switch open(
            datagram.bytes, range: datagram.range, payloadOffset: payloadOffset, header: header, keyIndex: keyIndex)
        {
        case .success(let plain):
            record.decryption = .decrypted
            record.integrity = plain.integrity
            appendInner(&record, plain.bytes, first: plain.firstPayload)
        case .failure(let reason):
            record.decryption = .failed(reason.failure)
            record.integrity = reason.integrityFailed ? .failed : .unchecked
        }
        if record.integrity == .failed {
            record.verifiesWithOtherSendersKeys = verifiesSwapped(
                datagram.bytes, range: datagram.range, payloadOffset: payloadOffset, header: header,
                keyIndex: keyIndex)
        }
    }

    private func processFragment(
        _ first: IKEMessageRecord, fragment: IKEv2EncryptedFragment, payloadOffset: Int,
        datagram: IKEDatagram, keyIndex: Int?
    ) -> IKEMessageRecord? {
        let header = first.header
        var piece = IKEFragmentAssembler.Fragment(
            frame: datagram.frame, time: datagram.time,
            wireLength: datagram.range.count,
            plaintext: nil, firstPayload: fragment.firstInnerPayload, integrity: .unchecked,
            failure: nil,
            fingerprint: fingerprint(datagram.bytes, datagram.range))
        if let keyIndex {
            switch open(
                datagram.bytes, range: datagram.range, payloadOffset: payloadOffset, header: header, keyIndex: keyIndex)
            {
            case .success(let plain):
                piece.plaintext = plain.bytes
                piece.integrity = plain.integrity
                piece.failure = nil
            case .failure(let reason):
                piece.failure = reason.failure
                piece.integrity = reason.integrityFailed ? .failed : .unchecked
            }
        }
        let key = IKEFragmentAssembler.MessageKey(
            initiatorSPI: header.initiatorSPI, responderSPI: header.responderSPI,
            messageID: header.messageID, isResponse: header.isResponse,
            fromInitiator: header.isInitiator)
        switch inFlight.fragments.add(
            piece, number: Int(fragment.fragmentNumber), total: Int(fragment.totalFragments), key: key)
        {
        case .pending:
            return nil
        case .dropped(let reason):
            diagnose(.fragmentDropped(reason))
            return nil
        case .complete(let whole):
            var record = first
            record.frames = whole.fragments.map(\.frame)
            record.time = whole.fragments.lazy.map(\.time).min() ?? first.time
            record.length = whole.fragments.reduce(0) { $0 + $1.wireLength }
            var combined: UInt64 = 0xcbf2_9ce4_8422_2325
            for piece in whole.fragments { combined = (combined ^ piece.fingerprint) &* 0x100_0000_01b3 }
            if keyIndex == nil {
                record.decryption = .noKeys
            } else if let failed = whole.fragments.first(where: { $0.plaintext == nil }) {
                record.decryption = .failed(.fragment(failed.failure))
                record.integrity = whole.fragments.contains { $0.integrity == .failed } ? .failed : .unchecked
            } else {
                let plain = whole.fragments.flatMap { $0.plaintext ?? [] }
                record.decryption = .decrypted
                record.integrity =
                    whole.fragments.contains { $0.integrity == .failed }
                    ? .failed
                    : whole.fragments.allSatisfy { $0.integrity == .ok } ? .ok : .unchecked
                appendInner(&record, plain, first: whole.fragments.first?.firstPayload ?? 0)
            }
            attach(&record, fingerprint: combined)
            return keep(record)
        }
    }

    /// Notes on `record` that the capture cut the message (the datagram's flag, with a length
    /// field that says more than was captured). True when it was cut.
    func markCut(_ record: inout IKEMessageRecord, datagram: IKEDatagram, header: IKEHeader) -> Bool {
        guard datagram.cutByCapture, Int(header.length) > datagram.range.count else { return false }
        record.length = Int(header.length)
        record.capturedLength = datagram.range.count
        return true
    }

    private func appendInner(_ record: inout IKEMessageRecord, _ plain: [UInt8], first: UInt8) {
        let chain = IKEv2Parser.parsePayloadChain(plain, range: 0..<plain.count, firstPayload: first)
        record.decryptedFrom = record.payloads.count
        record.payloads.append(chain.payloads)
        record.problems += chain.problems.map(IKEMessageProblem.parse)
    }

    func keep(_ record: IKEMessageRecord) -> IKEMessageRecord {
        counts.decoded += 1
        if let saIndex = record.ikeSAIndex, saIndex < ikeSAs.count {
            switch record.integrity {
            case .ok: ikeSAs[saIndex].integrityPassed.add(fromInitiator: record.fromOriginalInitiator)
            case .failed: ikeSAs[saIndex].integrityFailed.add(fromInitiator: record.fromOriginalInitiator)
            case .unchecked: break
            }
            if record.verifiesWithOtherSendersKeys { ikeSAs[saIndex].integrityWithSwappedKeys += 1 }
        }
        if record.decryption == .decrypted { counts.decrypted += 1 }
        if record.integrity == .failed { counts.integrityFailures += 1 }
        if messages.count < limits.maxMessagesKept
            && usage.keptMessageBytes + record.length <= limits.maxMessageBytesKept
        {
            usage.keptMessageBytes += record.length
            messages.append(record)
        } else {
            counts.dropped += 1
            diagnose(.tooManyMessagesKept(count: limits.maxMessagesKept, mebibytes: limits.maxMessageBytesKept >> 20))
        }
        return record
    }

    /// FNV-1a over the message bytes: equal bytes, equal fingerprint (retransmissions).
    func fingerprint(_ bytes: [UInt8], _ range: Range<Int>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in range where index < bytes.count {
            hash = (hash ^ UInt64(bytes[index])) &* 0x100_0000_01b3
        }
        return hash
    }

    func diagnose(_ message: IKEDiagnostic) {
        guard usage.diagnosticsSeen.count < 256, usage.diagnosticsSeen.insert(message).inserted else { return }
        onDiagnostic?(message)
    }

    // MARK: keys

    func keyIndex(for header: IKEHeader) -> Int? {
        guard let version = IKESecurityAssociation.Version(rawValue: Int(header.majorVersion)) else { return nil }
        return keyIndex(IKESPIPair(initiator: header.initiatorSPI, responder: header.responderSPI), version: version)
    }

    func keyIndex(_ spis: IKESPIPair, version: IKESecurityAssociation.Version = .v2) -> Int? {
        keyRing.index(spis, version: version)
    }

    func hasKeys(_ key: IKESecurityAssociation) -> Bool { IKEKeyRing.hasKeys(key) }

    struct OpenFailure: Error {
        var failure: IKEDecryptionFailure
        var integrityFailed: Bool
    }

    struct Opened {
        var bytes: [UInt8]
        var firstPayload: UInt8
        var integrity: IKEIntegrityVerdict
    }

    /// Whether a message that failed its integrity check passes it with the other sender's
    /// keys (the key file has the initiator's and the responder's keys the wrong way round).
    private func verifiesSwapped(
        _ bytes: [UInt8], range: Range<Int>, payloadOffset: Int, header: IKEHeader, keyIndex: Int
    ) -> Bool {
        guard let protection = protection(keyIndex),
            case .success(let plain) = protection.open(
                message: bytes, messageRange: range, encryptedPayloadOffset: payloadOffset,
                sentByInitiator: !header.isInitiator)
        else { return false }
        return plain.integrity == .ok
    }

    private func open(_ bytes: [UInt8], range: Range<Int>, payloadOffset: Int, header: IKEHeader, keyIndex: Int)
        -> Result<Opened, OpenFailure>
    {
        guard let protection = protection(keyIndex) else {
            let why = keyRing.protectionFailures[keyIndex]
            return .failure(OpenFailure(failure: .keysUnusable(why), integrityFailed: false))
        }
        switch protection.open(
            message: bytes, messageRange: range, encryptedPayloadOffset: payloadOffset,
            sentByInitiator: header.isInitiator)
        {
        case .success(let plain):
            let integrity: IKEIntegrityVerdict
            switch plain.integrity {
            case .ok: integrity = .ok
            case .failed: integrity = .failed
            case .unchecked: integrity = .unchecked
            }
            return .success(Opened(bytes: plain.payloads, firstPayload: plain.firstPayloadType, integrity: integrity))
        case .failure(let error):
            return .failure(
                OpenFailure(
                    failure: .v2(error),
                    integrityFailed: error.code == .integrityFailed || error.code == .authenticationFailed))
        }
    }

    func protection(_ keyIndex: Int) -> IKEv2MessageProtection? {
        if let existing = keyRing.protections[keyIndex] { return existing }
        if keyRing.protectionFailures[keyIndex] != nil { return nil }
        let key = keys[keyIndex]
        do {
            let made = try IKEv2MessageProtection(sa: key)
            made.decryptDespiteIntegrityFailure = decryptDespiteIntegrityFailure
            keyRing.protections[keyIndex] = made
            return made
        } catch {
            let why = IKEKeysUnusable(key, .v2(error))
            keyRing.protectionFailures[keyIndex] = why
            diagnose(.keysUnusable(why))
            return nil
        }
    }
}

extension IKEv2Payload {
    /// SK or SKF: the payload whose content is the encrypted rest of the message.
    var isEncryptedContainer: Bool {
        switch body {
        case .encrypted, .encryptedFragment: return true
        default: return false
        }
    }
}
