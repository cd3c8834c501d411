import SpiglassIKE
import SpiglassWire

/// JSON for IKEv2 payloads: one object per payload with `type`, `name`, `critical` and the
/// body's fields in snake_case. Secrets stay out (AUTH data is summarised by its length);
/// opaque blobs are hex, cut to `maxHexBytes`.
enum IKEPayloadJSON {
    /// Bytes of an opaque blob (unknown payload, notify data) written as hex at most.
    static let maxHexBytes = 256

    /// A JSON array of objects, each built by `build`.
    static func array<T>(_ items: [T], _ build: (T, inout JSONObject) -> Void) -> String {
        JSONObject.array(items.map { item in
            var object = JSONObject()
            build(item, &object)
            return object.finished
        })
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

extension IKEv2Payload {
    /// This payload as one JSON object.
    func jsonObject() -> String {
        var o = JSONObject()
        o.int("type", type)
        o.string("name", name)
        o.bool("critical", critical)
        switch body {
        case .securityAssociation(let proposals):
            o.raw("proposals", IKEPayloadJSON.array(proposals) { proposal, p in
                p.int("number", proposal.number)
                p.string("protocol", proposal.protocolName)
                p.int("protocol_id", proposal.protocolID)
                p.string("spi", proposal.spi.isEmpty ? nil : Hex.encode(proposal.spi))
                p.raw("transforms", IKEPayloadJSON.array(proposal.transforms) { transform, t in
                    t.int("type", transform.type)
                    t.string("type_name", transform.typeName)
                    t.int("id", transform.id)
                    t.string("name", transform.name)
                    t.int("key_length", transform.keyLength)
                    if !transform.otherAttributes.isEmpty {
                        t.raw("attributes", IKEPayloadJSON.array(transform.otherAttributes) { attribute, a in
                            a.int("type", attribute.type)
                            a.string("value", Hex.encode(attribute.value))
                        })
                    }
                })
            })
        case .keyExchange(let group, let data):
            o.int("group", group)
            o.string("group_name", IKEv2Names.keyExchangeName(group))
            o.int("length", data.count)
        case .identification(let id):
            o.int("id_type", id.type)
            o.string("id_type_name", id.typeName)
            o.string("value", id.text)
        case .certificate(let encoding, let data):
            o.int("encoding", encoding)
            o.string("encoding_name", IKEv2Names.certificateEncodingName(encoding))
            o.int("length", data.count)
        case .certificateRequest(let encoding, let data):
            o.int("encoding", encoding)
            o.string("encoding_name", IKEv2Names.certificateEncodingName(encoding))
            o.int("length", data.count)
        case .authentication(let method, let data):
            o.int("method", method)
            o.string("method_name", IKEv2Names.authMethodName(method))
            o.int("length", data.count)
        case .nonce(let data):
            o.int("length", data.count)
            IKEPayloadJSON.hex(data, into: &o, key: "data")
        case .notify(let notify):
            o.int("notify_type", notify.type)
            o.string("notify", notify.name)
            o.bool("error", notify.isError)
            o.string("protocol", IKEv2Names.protocolName(notify.protocolID))
            o.string("spi", notify.spi.isEmpty ? nil : Hex.encode(notify.spi))
            IKEPayloadJSON.hex(notify.data, into: &o, key: "data")
        case .delete(let delete):
            o.string("protocol", delete.protocolName)
            o.int("spi_size", delete.spiSize)
            o.raw("spis", IKEPayloadJSON.strings(delete.spis.map { Hex.encode($0) }))
        case .vendorID(let data):
            IKEPayloadJSON.hex(data, into: &o, key: "vendor_id")
            o.string("vendor", KnownVendorIDs.name(data))
        case .trafficSelectors(let selectors):
            o.raw("selectors", IKEPayloadJSON.array(selectors) { selector, s in
                s.int("type", selector.type)
                s.string("type_name", selector.typeName)
                s.int("protocol", selector.ipProtocol)
                if selector.isAddressRange {
                    s.string("ports", "\(selector.startPort)-\(selector.endPort)")
                    s.string("start", selector.startText)
                    s.string("end", selector.endText)
                } else {
                    IKEPayloadJSON.hex(selector.data, into: &s, key: "data")
                }
                s.string("text", selector.text)
            })
        case .encrypted(let sk):
            o.int("first_payload", sk.firstInnerPayload)
            o.string("first_payload_name", IKEv2Names.payloadName(sk.firstInnerPayload))
            o.int("length", sk.contentRange.count)
        case .encryptedFragment(let skf):
            o.int("fragment_number", skf.fragmentNumber)
            o.int("total_fragments", skf.totalFragments)
            o.int("first_payload", skf.firstInnerPayload)
            o.int("length", skf.contentRange.count)
        case .configuration(let cp):
            o.int("cfg_type", cp.type)
            o.string("cfg_type_name", cp.typeName)
            o.raw("attributes", IKEPayloadJSON.array(cp.attributes) { attribute, a in
                a.int("type", attribute.type)
                a.string("name", attribute.name)
                a.int("length", attribute.value.count)
                if let text = attribute.valueText {
                    a.string("value", text)
                } else if !attribute.value.isEmpty {
                    IKEPayloadJSON.hex(attribute.value, into: &a, key: "value_hex")
                }
            })
        case .eap(let eap):
            o.int("code", eap.code)
            o.string("code_name", eap.codeName)
            o.int("identifier", eap.identifier)
            o.int("eap_type", eap.type)
            o.string("eap_type_name", eap.typeName)
            o.int("length", eap.data.count)
        case .unknown(let data):
            o.int("length", data.count)
            IKEPayloadJSON.hex(data, into: &o, key: "data")
        case .malformed(let problem):
            o.object("problem") { p in
                p.string("code", problem.code.rawValue)
                p.int("offset", problem.offset)
                p.string("reason", problem.reason)
            }
        }
        return o.finished
    }
}
