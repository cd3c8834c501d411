import SpiglassIKE
import SpiglassWire

/// The bounds on what a run keeps that a user may need to move (`--limit NAME=VALUE`): each
/// defaults to the constant in the type it bounds, and hitting one gives a warning once while
/// the run goes on. Bounds no real capture comes near (payloads per message, proposals,
/// selectors, fragments per datagram, key-file sizes) stay fixed.
public enum ResourceLimit: String, CaseIterable, Sendable {
    case flows
    case ipFragments = "ip-fragments"
    case ipFragmentBytes = "ip-fragment-bytes"
    case tcpConnections = "tcp-connections"
    case ikeSAs = "ike-sas"
    case ikeExchangesPerSA = "ike-exchanges-per-sa"
    case ikeExchanges = "ike-exchanges"
    case ikeMessages = "ike-messages"
    case ikeMessageBytes = "ike-message-bytes"
    case childSAs = "child-sas"

    /// What the limit bounds and what happens past it.
    public var meaning: String {
        switch self {
        case .flows: "ESP/AH flows (SPI, addresses) tracked one by one; more are counted together"
        case .ipFragments: "IP datagrams waiting for fragments; the oldest is dropped past this"
        case .ipFragmentBytes: "bytes held by those datagrams"
        case .tcpConnections: "RFC 8229 TCP connections followed"
        case .ikeSAs: "IKE SAs tracked"
        case .ikeExchangesPerSA: "exchanges kept per IKE SA"
        case .ikeExchanges: "exchanges kept over all IKE SAs"
        case .ikeMessages: "IKE messages kept for the final report (each is still reported as it comes)"
        case .ikeMessageBytes: "bytes of those messages"
        case .childSAs: "CHILD_SAs kept"
        }
    }

    /// Where `options` holds this limit.
    public var keyPath: WritableKeyPath<AnalysisOptions, Int> {
        switch self {
        case .flows: \.maxTrackedFlows
        case .ipFragments: \.fragmentLimits.maxPendingDatagrams
        case .ipFragmentBytes: \.fragmentLimits.maxPendingBytes
        case .tcpConnections: \.tcpLimits.maxConnections
        case .ikeSAs: \.ikeLimits.maxIKESAs
        case .ikeExchangesPerSA: \.ikeLimits.maxExchangesPerIKESA
        case .ikeExchanges: \.ikeLimits.maxExchanges
        case .ikeMessages: \.ikeLimits.maxMessagesKept
        case .ikeMessageBytes: \.ikeLimits.maxMessageBytesKept
        case .childSAs: \.ikeLimits.maxChildSAs
        }
    }

    /// The value `options` has for this limit.
    public func value(in options: AnalysisOptions) -> Int { options[keyPath: keyPath] }

    /// The largest value accepted: past it, the bound would no longer bound anything a
    /// machine can hold (a tracked flow or IKE SA costs from a few hundred bytes to kilobytes).
    public var maximum: Int { isBytes ? 1 << 34 : 50_000_000 }

    /// Applies "NAME=VALUE" to `options`. The value is a positive integer, with an optional
    /// k/M/G suffix (powers of 1024 for the byte limits, of 1000 for counts).
    public static func apply(_ setting: String, to options: inout AnalysisOptions) throws(ResourceLimitError) {
        try ResourceLimitSetting(setting).apply(to: &options)
    }

    private var isBytes: Bool { self == .ipFragmentBytes || self == .ikeMessageBytes }

    fileprivate func parse(_ text: String) -> Int? {
        var digits = Substring(text)
        var scale = 1
        if let last = digits.last,
            let power = "kMG".firstIndex(of: last).map({ "kMG".distance(from: "kMG".startIndex, to: $0) + 1 })
        {
            digits = digits.dropLast()
            scale = isBytes ? 1 << (10 * power) : [1, 1_000, 1_000_000, 1_000_000_000][power]
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Int(digits) else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow ? nil : product
    }
}

/// One `--limit NAME=VALUE`, read once: the limit and its value, within the limit's range.
public struct ResourceLimitSetting: Sendable, Equatable {
    public let limit: ResourceLimit
    public let value: Int

    public init(_ setting: String) throws(ResourceLimitError) {
        let parts = setting.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw ResourceLimitError("'\(setting)' is not NAME=VALUE") }
        let name = String(parts[0])
        guard let limit = ResourceLimit(rawValue: name) else {
            let known = ResourceLimit.allCases.map(\.rawValue).joined(separator: ", ")
            throw ResourceLimitError("unknown limit '\(name)' (known: \(known))")
        }
        guard let value = limit.parse(String(parts[1])), value >= 1, value <= limit.maximum else {
            throw ResourceLimitError("\(name) takes a whole number from 1 to \(limit.maximum), got '\(parts[1])'")
        }
        self.limit = limit
        self.value = value
    }

    public func apply(to options: inout AnalysisOptions) {
        options[keyPath: limit.keyPath] = value
    }
}

/// A `--limit` setting that cannot be applied.
public struct ResourceLimitError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
