/// A Vendor ID an IKE SA's peers sent, as its record lists it: a vendor or feature of
/// `KnownVendorIDs` by its name there, else the first 16 bytes of its data. Two payloads that
/// give the same value are listed once.
public enum IKEVendorID: Sendable, Hashable {
    case known(name: String)
    case unknown(prefix: [UInt8])

    /// The most listed per IKE SA: a peer may send any number.
    public static let maxPerIKESA = 32

    public init(_ data: [UInt8]) {
        if let name = KnownVendorIDs.name(data) {
            self = .known(name: name)
        } else {
            self = .unknown(prefix: Array(data.prefix(16)))
        }
    }
}

extension IKESARecord {
    /// Lists a Vendor ID payload's data, once, up to `IKEVendorID.maxPerIKESA`; returns its value.
    @discardableResult
    mutating func noteVendorID(_ data: [UInt8]) -> IKEVendorID {
        let vendor = IKEVendorID(data)
        if !vendorIDs.contains(vendor), vendorIDs.count < IKEVendorID.maxPerIKESA { vendorIDs.append(vendor) }
        return vendor
    }
}
