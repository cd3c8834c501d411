internal import CCrypto

/// One-shot message digests (IKE NAT detection hashes, IKEv1 IVs): rare, so no context reuse.
public enum Digest {
    /// The digest of `data` under `hash`.
    public static func hash(_ hash: HashFunction, _ data: [UInt8]) throws -> [UInt8] {
        guard let md = EVP_MD_fetch(nil, hash.rawValue, nil) else {
            throw CryptoError.openssl("EVP_MD_fetch(\(hash.rawValue))")
        }
        defer { EVP_MD_free(md) }
        var output = [UInt8](repeating: 0, count: hash.digestLength)
        var length: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                // A NULL pointer for empty input is fine with a zero count, but keep it non-NULL.
                EVP_Digest(
                    input.baseAddress ?? UnsafePointer(out.baseAddress!), data.count, out.baseAddress, &length, md, nil)
            }
        }
        guard ok == 1, Int(length) == hash.digestLength else {
            throw CryptoError.openssl("EVP_Digest(\(hash.rawValue))")
        }
        return output
    }
}
