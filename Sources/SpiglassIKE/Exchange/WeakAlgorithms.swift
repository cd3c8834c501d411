/// RFC 8221 / RFC 8247 words on negotiated transforms: what is deprecated or too weak.
enum WeakAlgorithms {
    static func findings(_ transforms: [IKEv2Transform], what: String) -> [String] {
        var out: [String] = []
        for transform in transforms {
            let reason: String?
            switch (transform.type, transform.id) {
            case (1, 1), (1, 2), (1, 9): reason = "DES is broken (RFC 8221: MUST NOT)"
            case (1, 3): reason = "3DES is deprecated (RFC 8221/8247: SHOULD NOT)"
            case (1, 11): reason = "NULL encryption: traffic in the clear"
            case (2, 1): reason = "PRF HMAC-MD5 is deprecated (RFC 8247: MUST NOT)"
            case (2, 2): reason = "PRF HMAC-SHA1 is deprecated (RFC 8247)"
            case (3, 1), (3, 6): reason = "HMAC-MD5 integrity is deprecated (RFC 8221/8247: MUST NOT)"
            case (3, 2), (3, 7): reason = "HMAC-SHA1 integrity is deprecated (RFC 8247: MUST- for IKE)"
            case (4, 1): reason = "MODP-768 is broken (RFC 8247: MUST NOT)"
            case (4, 2): reason = "MODP-1024 is too weak (RFC 8247: SHOULD NOT)"
            case (4, 22), (4, 23), (4, 24): reason = "MODP with small subgroup (RFC 8247: SHOULD NOT)"
            default: reason = nil
            }
            if let reason { out.append("\(what): \(transform.name): \(reason)") }
        }
        return out
    }
}
