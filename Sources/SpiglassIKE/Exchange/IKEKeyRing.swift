import SpiglassSAD

/// The IKE key sets given (key files, logs) and how a message finds its own: by both SPIs,
/// by the initiator's alone, or, for sets whose source did not know their SPIs, by binding
/// them to the IKE SA whose messages verify with them (`IKEReconstruction+Binding.swift`).
/// Also holds the IKEv2 message protections made from the sets.
struct IKEKeyRing {
    private(set) var keys: [IKESecurityAssociation] = []
    private var byPair: [Lookup: Int] = [:]
    private var byInitiatorSPI: [Lookup: Int] = [:]
    /// Key sets without SPIs (`IKESPIBinding.byIntegrity`), not yet bound; the binding
    /// attempts made, per IKE SA and in all.
    var unbound: [Int] = []
    var bindingAttempts: [IKESPIPair: Int] = [:]
    var bindingTrials = 0
    /// Key sets bound to an IKE SA of the capture by their integrity check, in order (kept
    /// over reloads: they are what `keys export` writes).
    private(set) var bound: [IKESecurityAssociation] = []
    private(set) var boundIndices: Set<Int> = []
    /// IKEv2 message protections made from key sets, and why some could not be made.
    var protections: [Int: IKEv2MessageProtection] = [:]
    var protectionFailures: [Int: IKEKeysUnusable] = [:]

    /// IKEv1 cookies and IKEv2 SPIs are looked up apart: a key for one never opens the other.
    private struct Lookup: Hashable {
        var version: IKESecurityAssociation.Version
        var spis: IKESPIPair
    }

    /// Switches to new key sets (a reload): lookups, pending bindings and protections start afresh.
    mutating func replace(_ fresh: [IKESecurityAssociation]) {
        keys = fresh
        byPair = [:]
        byInitiatorSPI = [:]
        protections = [:]
        protectionFailures = [:]
        unbound = []
        bindingAttempts = [:]
        boundIndices = []
        for (index, key) in keys.enumerated() {
            let version = key.version
            if case .byIntegrity = key.binding {
                if version == .v2 && Self.hasKeys(key) { unbound.append(index) }
                continue
            }
            let initiatorOnly = Lookup(version: version, spis: IKESPIPair(initiator: key.initiatorSPI, responder: 0))
            if let responder = key.responderSPI {
                add(index, pair: IKESPIPair(initiator: key.initiatorSPI, responder: responder), version: version)
                // An IKEv1 message 1 has no responder cookie yet; the initiator's finds the key.
                if version == .v1 { byInitiatorSPI[initiatorOnly] = index }
            } else {
                byInitiatorSPI[initiatorOnly] = index
            }
        }
    }

    /// The key set of an IKE SA: the one naming both SPIs, else the one naming the initiator's.
    func index(_ spis: IKESPIPair, version: IKESecurityAssociation.Version) -> Int? {
        if let index = byPair[Lookup(version: version, spis: spis)] { return index }
        return byInitiatorSPI[Lookup(version: version, spis: IKESPIPair(initiator: spis.initiator, responder: 0))]
    }

    private mutating func add(_ index: Int, pair: IKESPIPair, version: IKESecurityAssociation.Version) {
        byPair[Lookup(version: version, spis: pair)] = index
    }

    /// Key set `index`, which had no SPIs, verified a message of the IKE SA `pair`: known by
    /// those SPIs from here on, as if the key file had named them.
    mutating func bind(_ index: Int, to pair: IKESPIPair) {
        unbound.removeAll { $0 == index }
        keys[index].initiatorSPI = pair.initiator
        keys[index].responderSPI = pair.responder
        keys[index].binding = .given
        add(index, pair: pair, version: .v2)
        bound.append(keys[index])
        boundIndices.insert(index)
    }

    /// The key set gives what decryption needs (IKEv2 SK_e or SK_d; IKEv1 a phase-1 key).
    static func hasKeys(_ key: IKESecurityAssociation) -> Bool {
        key.version == .v2
            ? (!key.skEi.isEmpty || !key.skD.isEmpty)
            : (!key.ikev1EncryptionKey.isEmpty || !key.skeyidE.isEmpty)
    }
}
