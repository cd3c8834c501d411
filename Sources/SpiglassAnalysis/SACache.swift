import SpiglassESP
import SpiglassSAD

/// The SAs of one IPsec protocol and, for each, what its packets are processed with (OpenSSL
/// contexts keyed once), made on first use and kept. A setup failure is reported once and
/// remembered: the SA's packets then say why.
struct SACache<Engine: AnyObject> {
    private(set) var database: SADatabase
    private var engines: [Engine?]
    /// Why an SA's engine could not be made, by SA index.
    private(set) var failures: [Int: String] = [:]
    /// Makes an SA's engine; nil when the SA needs none (integrity that checks nothing).
    private let make: (SecurityAssociation) throws -> Engine?
    /// What a setup failure is reported as.
    private let describeFailure: (SecurityAssociation, any Error) -> String

    init(
        _ database: SADatabase, make: @escaping (SecurityAssociation) throws -> Engine?,
        describeFailure: @escaping (SecurityAssociation, any Error) -> String
    ) {
        self.database = database
        self.engines = [Engine?](repeating: nil, count: database.count)
        self.make = make
        self.describeFailure = describeFailure
    }

    var count: Int { database.count }

    /// SA `index`'s engine. A `candidate` (an SA whose keys are only tried on another SA's
    /// failing packet) that cannot be set up is skipped without a report: its failure is
    /// reported if its own packets arrive.
    mutating func engine(_ index: Int, candidate: Bool = false, diagnose: (String) -> Void) -> Engine? {
        if let engine = engines[index] { return engine }
        if failures[index] != nil { return nil }
        do {
            guard let engine = try make(database.entries[index]) else { return nil }
            engines[index] = engine
            return engine
        } catch {
            guard !candidate else { return nil }
            let message = describeFailure(database.entries[index], error)
            failures[index] = message
            diagnose(message)
            return nil
        }
    }

    mutating func add(_ sa: SecurityAssociation) {
        database.add(sa)
        engines.append(nil)
    }

    /// Switches to `fresh` (a key reload): engines are made again on demand.
    mutating func replace(_ fresh: SADatabase) {
        database = fresh
        engines = [Engine?](repeating: nil, count: fresh.count)
        failures = [:]
    }
}

/// The run's SAs: ESP's and AH's apart (one SPI may name an SA of each), each with its engines.
struct SAStore {
    var esp: SACache<ESPCryptoState>
    var ah: SACache<IntegrityEngine>

    init(esp: SADatabase, ah: SADatabase) {
        self.esp = SACache(
            esp, make: { try ESPCryptoState(sa: $0) },
            describeFailure: { "SA \($0.origin): cannot set up \($0.algorithmDescription): \($1)" })
        self.ah = SACache(
            ah, make: { try IntegrityEngine($0.integrity, key: $0.integrityKey) },
            describeFailure: { "AH SA \($0.origin): cannot set up \($0.integrity.name): \($1)" })
    }

    /// The SAs packets of protocol `ipsecProtocol` are looked up in.
    func database(_ ipsecProtocol: IPsecProtocol) -> SADatabase {
        switch ipsecProtocol {
        case .esp: esp.database
        case .ah: ah.database
        }
    }

    /// The SA of a flow's packets, if any.
    func lookup(_ key: FlowKey) -> (index: Int, match: SADatabase.MatchKind)? {
        database(key.ipsecProtocol).lookup(spi: key.spi, source: key.source, destination: key.destination)
    }

    /// The SA at `index` of protocol `ipsecProtocol`'s database.
    func sa(_ ipsecProtocol: IPsecProtocol, _ index: Int) -> SecurityAssociation {
        database(ipsecProtocol).entries[index]
    }

    /// Adds an SA (one derived from IKE keys) to its protocol's SAs.
    mutating func add(_ sa: SecurityAssociation) {
        switch sa.ipsecProtocol {
        case .esp: esp.add(sa)
        case .ah: ah.add(sa)
        }
    }
}
