import SpiglassIKE
import SpiglassWire

/// JSON for IKEv1 (ISAKMP) payloads, with the conventions of `IKEPayloadJSON`: one object per
/// payload with `type`, `name` and the body's fields in snake_case. Secrets stay out (XAUTH
/// passwords, passcodes and PINs are summarised by their length; hashes and signatures by
/// theirs); opaque blobs are hex, cut to `IKEPayloadJSON.maxHexBytes`.
extension IKEv1Payload {
    /// This payload as one JSON object.
    func jsonObject() -> String {
        var o = JSONObject()
        o.int("type", type)
        o.string("name", name)
        switch body {
        case .securityAssociation(let sa):
            o.int("doi", sa.doi)
            o.string("doi_name", sa.doiName)
            IKEPayloadJSON.hex(sa.situation, into: &o, key: "situation")
            o.raw("proposals", IKEPayloadJSON.array(sa.proposals) { proposal, p in
                p.int("number", proposal.number)
                p.string("protocol", proposal.protocolName)
                p.int("protocol_id", proposal.protocolID)
                p.string("spi", proposal.spi.isEmpty ? nil : Hex.encode(proposal.spi))
                p.raw("transforms", IKEPayloadJSON.array(proposal.transforms) { transform, t in
                    t.int("number", transform.number)
                    t.int("id", transform.transformID)
                    t.string("name", transform.name)
                    if transform.isPhase1 {
                        t.string("encryption", transform.encryptionAlgorithm.map(IKEv1Names.encryptionName))
                        t.string("hash", transform.hashAlgorithm.map(IKEv1Names.hashName))
                        t.string("authentication_method", transform.authenticationMethod.map(IKEv1Names.authMethodName))
                    } else {
                        t.string("authentication_algorithm", transform.authenticationAlgorithm.map(IKEv1Names.authenticationAlgorithmName))
                        t.string("encapsulation_mode", transform.encapsulationMode.map(IKEv1Names.encapsulationModeName))
                    }
                    t.int("key_length", transform.keyLength)
                    t.string("group", transform.group.map(IKEv1Names.groupName))
                    t.raw("lifetimes", IKEPayloadJSON.array(transform.lifetimes) { lifetime, l in
                        l.string("type", IKEv1Names.lifeTypeName(lifetime.type))
                        l.int("duration", lifetime.duration)
                    })
                    t.raw("attributes", IKEPayloadJSON.array(transform.attributes) { attribute, a in
                        a.int("type", attribute.type)
                        a.string("name", IKEv1Names.attributeName(protocolID: transform.protocolID, type: attribute.type))
                        a.bool("basic", attribute.isBasic)
                        IKEPayloadJSON.hex(attribute.value, into: &a, key: "value")
                        a.string("value_name", IKEv1Names.attributeValueName(protocolID: transform.protocolID, attribute: attribute))
                    })
                })
            })
        case .keyExchange(let data):
            o.int("length", data.count)
        case .identification(let id):
            o.int("id_type", id.type)
            o.string("id_type_name", id.typeName)
            o.int("protocol", id.protocolID)
            o.int("port", id.port)
            o.string("value", id.text)
        case .certificate(let encoding, let data):
            o.int("encoding", encoding)
            o.string("encoding_name", IKEv1Names.certificateEncodingName(encoding))
            o.int("length", data.count)
        case .certificateRequest(let encoding, let data):
            o.int("encoding", encoding)
            o.string("encoding_name", IKEv1Names.certificateEncodingName(encoding))
            o.int("length", data.count)
            o.string("authority", certificateAuthority)
        case .hash(let data), .signature(let data):
            o.int("length", data.count)
        case .nonce(let data), .natDiscovery(let data):
            o.int("length", data.count)
            IKEPayloadJSON.hex(data, into: &o, key: "data")
        case .notification(let notification):
            o.int("notify_type", notification.type)
            o.string("notify", notification.name)
            o.bool("error", notification.isError)
            o.int("doi", notification.doi)
            o.string("protocol", IKEv1Names.protocolName(notification.protocolID))
            o.string("spi", notification.spi.isEmpty ? nil : Hex.encode(notification.spi))
            IKEPayloadJSON.hex(notification.data, into: &o, key: "data")
        case .delete(let delete):
            o.int("doi", delete.doi)
            o.string("protocol", delete.protocolName)
            o.int("spi_size", delete.spiSize)
            o.raw("spis", IKEPayloadJSON.strings(delete.spis.map { Hex.encode($0) }))
        case .vendorID(let data):
            IKEPayloadJSON.hex(data, into: &o, key: "vendor_id")
            o.string("vendor", KnownVendorIDs.name(data))
        case .attributes(let cfg):
            o.int("cfg_type", cfg.type)
            o.string("cfg_type_name", cfg.typeName)
            o.int("identifier", cfg.identifier)
            o.raw("attributes", IKEPayloadJSON.array(cfg.attributes) { attribute, a in
                a.int("type", attribute.type)
                a.string("name", attribute.configName)
                a.int("length", attribute.value.count)
                if attribute.isSecretConfigAttribute || attribute.value.isEmpty {
                    // Only the length of a password, passcode, PIN or answer.
                } else if let text = attribute.configValueText {
                    a.string("value", text)
                } else {
                    IKEPayloadJSON.hex(attribute.value, into: &a, key: "value_hex")
                }
            })
        case .natOriginalAddress(let oa):
            o.int("id_type", oa.idType)
            o.string("id_type_name", IKEv1Names.idTypeName(oa.idType))
            o.string("address", oa.text)
        case .fragment(let fragment):
            o.int("fragment_id", fragment.id)
            o.int("fragment_number", fragment.number)
            o.bool("last", fragment.isLast)
            o.int("length", fragment.data.count)
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
