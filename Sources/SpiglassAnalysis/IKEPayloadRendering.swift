import SpiglassIKE
import SpiglassWire

/// What one kind of IKE payload (SA, KE, ID, N, D, ...) shows: its line in a summary and its
/// fields in JSON, side by side. `IKEv2Payload` and `IKEv1Payload` pick the renderer for their
/// body (`renderer`) and add the generic header; the parsers keep only typed values.
protocol IKEPayloadRenderer {
    /// One line: `SA: #1 IKE ENCR_AES_CBC_256 …`, `N(REKEY_SA) ESP spi=c19c5d01`; `name` is
    /// the payload's short name ("SA", "N", "CP").
    func summary(name: String) -> String
    /// The body's fields in snake_case, after the generic header's. Secrets stay out (AUTH
    /// data, hashes, XAUTH passwords are summarised by their length); opaque blobs are hex,
    /// cut to `IKEPayloadJSON.maxHexBytes`.
    func json(_ o: inout JSONObject)
    /// `-V`: the body's fields under the summary line (`IKEPayloadDetails.swift`).
    func details() -> [String]
}

/// What the JSON of an IKEv1 and an IKEv2 proposal share; the transforms are each version's.
protocol IKEProposalRendering {
    var number: UInt8 { get }
    var protocolName: String { get }
    var protocolID: UInt8 { get }
    var spi: [UInt8] { get }
    /// The proposal's transforms as a JSON array.
    var transformsJSON: String { get }
}

/// Conventions shared by the IKE payload renderers.
enum IKEPayloadJSON {
    /// Bytes of an opaque blob (unknown payload, notify data) written as hex at most.
    static let maxHexBytes = 256

    /// The generic header's fields (IKEv1 has no critical bit), then the body's.
    static func object(type: UInt8, name: String, critical: Bool?, _ renderer: any IKEPayloadRenderer) -> String {
        var o = JSONObject()
        o.int("type", type)
        o.string("name", name)
        if let critical { o.bool("critical", critical) }
        renderer.json(&o)
        return o.finished
    }

    /// An ID payload's line (IKEv1 and IKEv2): "IDi: ID_FQDN moon.example", the type alone
    /// when the identity has no text.
    static func identitySummary(name: String, typeName: String, text: String) -> String {
        text.isEmpty ? "\(name): \(typeName)" : "\(name): \(typeName) \(DisplayText.clipped(text))"
    }

    /// A JSON array of objects, each built by `build`.
    static func array<T>(_ items: [T], _ build: (T, inout JSONObject) -> Void) -> String {
        JSONObject.array(
            items.map { item in
                var object = JSONObject()
                build(item, &object)
                return object.finished
            })
    }

    /// An SA payload's proposals (IKEv1 and IKEv2): each one's number, protocol and SPI,
    /// then its transforms.
    static func proposals(_ proposals: [some IKEProposalRendering]) -> String {
        array(proposals) { proposal, p in
            p.int("number", proposal.number)
            p.string("protocol", proposal.protocolName)
            p.int("protocol_id", proposal.protocolID)
            p.string("spi", proposal.spi.isEmpty ? nil : Hex.encode(proposal.spi))
            p.raw("transforms", proposal.transformsJSON)
        }
    }

    /// A JSON array of strings.
    static func strings(_ items: [String]) -> String {
        JSONObject.array(items.map(JSONObject.quote))
    }

    /// Hex of at most `maxHexBytes` bytes, and whether it was cut.
    static func hex(_ bytes: [UInt8], into object: inout JSONObject, key: String) {
        if bytes.count <= maxHexBytes {
            object.string(key, Hex.encode(bytes))
        } else {
            object.string(key, Hex.encode(bytes.prefix(maxHexBytes)))
            object.bool("\(key)_truncated", true)
        }
    }
}

/// A body shown by its size: nonces, hashes, signatures, NAT-D, IKEv1 key exchange data,
/// unknown payloads. `hexKey`: the JSON key for its bytes, nil to leave them out.
struct OpaqueRenderer: IKEPayloadRenderer {
    var data: [UInt8]
    var hexKey: String?

    func summary(name: String) -> String { "\(name): \(data.count) bytes" }

    func json(_ o: inout JSONObject) {
        o.int("length", data.count)
        if let hexKey { IKEPayloadJSON.hex(data, into: &o, key: hexKey) }
    }
}

/// V (IKEv2) and VID (IKEv1): the vendor when known, else readable text or hex.
struct VendorIDRenderer: IKEPayloadRenderer {
    var data: [UInt8]

    func summary(name: String) -> String {
        if let known = KnownVendorIDs.name(data) { return "\(name): \(known)" }
        if let text = DisplayText.readable(data, ascii: true) { return "\(name): \"\(DisplayText.clipped(text))\"" }
        return "\(name): \(IKEText.hexPrefix(data, limit: 32))"
    }

    func json(_ o: inout JSONObject) {
        IKEPayloadJSON.hex(data, into: &o, key: "vendor_id")
        o.string("vendor", KnownVendorIDs.name(data))
    }
}

/// D: the protocol and the SPIs; IKEv1's also its DOI.
struct DeleteRenderer: IKEPayloadRenderer {
    var doi: UInt32?
    var protocolName: String
    var spiSize: UInt8
    var spis: [[UInt8]]

    func summary(name: String) -> String {
        guard !spis.isEmpty else { return "\(name): \(protocolName)" }
        return "\(name): \(protocolName) " + IKEText.limited(spis.map { Hex.encode($0) }, separator: " ")
    }

    func json(_ o: inout JSONObject) {
        if let doi { o.int("doi", doi) }
        o.string("protocol", protocolName)
        o.int("spi_size", spiSize)
        o.raw("spis", IKEPayloadJSON.strings(spis.map { Hex.encode($0) }))
    }
}

/// A payload whose body did not parse: the problem, in words.
struct MalformedRenderer: IKEPayloadRenderer {
    var problem: IKEParseProblem

    func summary(name: String) -> String { "\(name): malformed (\(IKEParseProblemText.reason(problem)))" }

    func json(_ o: inout JSONObject) {
        o.object("problem") { p in
            p.string("code", problem.code.rawValue)
            p.int("offset", problem.offset)
            p.string("reason", IKEParseProblemText.reason(problem))
        }
    }
}
